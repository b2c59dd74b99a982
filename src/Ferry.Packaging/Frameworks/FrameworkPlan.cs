namespace Ferry.Packaging.Frameworks;

/// <summary>How one app is built and started by a preset: the outcome of naming or detecting its framework.</summary>
/// <param name="Preset">The preset applied.</param>
/// <param name="Reason">Why: "framework: koa in serverless.yml", "package.json depends on express".</param>
/// <param name="Command">The web function's command (starts an HTTP server on $PORT inside the sandbox).</param>
/// <param name="Environment">Variables the app needs (e.g. DJANGO_SETTINGS_MODULE); the function's own win.</param>
/// <param name="Steps">Build steps, in order, run on the developer's machine before packaging.</param>
public sealed record FrameworkPlan(
    FrameworkPreset Preset,
    string Reason,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<BuildStep> Steps)
{
    /// <summary>Things the user should know (not errors), e.g. that requirements.txt is not installed.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Package patterns (<c>!glob</c>) for what only the build needs, e.g. Next.js's compiler binaries and build
    /// cache; they go before the app's own <c>package.patterns</c>, which can re-include them.
    /// </summary>
    public IReadOnlyList<string> PackageExcludes { get; init; } = [];
}
