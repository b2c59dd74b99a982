using System.Text.RegularExpressions;

namespace Ferry.Manifest.Components;

/// <summary>
/// <c>${output:STAGE:APP:INSTANCE.KEY}</c>: a value another component of the same app produced when it was deployed
/// (its URL, for example), written in one component's inputs to wire components together.
/// </summary>
/// <param name="Stage">The stage the other component is deployed to (usually <c>${stage}</c>, this one's).</param>
/// <param name="App">The app both components belong to.</param>
/// <param name="Instance">The other component's <c>name</c>.</param>
/// <param name="Key">The output, e.g. <c>url</c> or <c>apigw.url</c>.</param>
public sealed partial record ComponentOutputReference(string Stage, string App, string Instance, string Key)
{
    public override string ToString() => $"${{output:{Stage}:{App}:{Instance}.{Key}}}";

    /// <summary>The component instances a Components file's text refers to with <c>${output:…}</c>, in order of appearance.</summary>
    public static IReadOnlyList<string> InstancesReferencedIn(string text) =>
        [.. Reference().Matches(InstanceVariable().Replace(text, "x"))
            .Select(m => m.Groups["instance"].Value).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)];

    [GeneratedRegex(@"\$\{(?:stage|app|name|org)\}", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceVariable();

    /// <summary>Every <c>${output:…}</c> in <paramref name="text"/>, after <c>${stage}</c> and <c>${app}</c> in it are replaced.</summary>
    internal static IEnumerable<(Match Match, ComponentOutputReference? Reference)> FindIn(string text) =>
        Reference().Matches(text).Select(m => (m, m.Groups["stage"].Success
            ? new ComponentOutputReference(m.Groups["stage"].Value, m.Groups["app"].Value, m.Groups["instance"].Value, m.Groups["key"].Value)
            : null));

    [GeneratedRegex(@"\$\{output:(?:(?<stage>[A-Za-z0-9_-]+):(?<app>[A-Za-z0-9_-]+):(?<instance>[A-Za-z0-9_-]+)\.(?<key>[A-Za-z0-9_.-]+)|[^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
