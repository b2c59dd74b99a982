using System.CommandLine;
using Ferry.Hub;

namespace Ferry.Cli.Commands;

/// <summary>A template named on the command line as <c>NAME</c> or <c>NAME@VERSION</c>.</summary>
internal sealed record TemplateReference(string Name, string? Version)
{
    /// <summary>Parses <c>NAME[@VERSION]</c>; the version, when present, must be a semantic version.</summary>
    public static bool TryParse(string text, bool versionRequired, out TemplateReference? reference, out string? error)
    {
        reference = null;
        var trimmed = text.Trim();
        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? trimmed : trimmed[..at];
        var version = at < 0 ? null : trimmed[(at + 1)..];
        var expected = versionRequired ? "NAME@VERSION, e.g. image-resizer@1.0.0" : "NAME or NAME@VERSION, e.g. image-resizer@1.0.0";

        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is '/' or '@'))
        {
            error = $"'{text}' is not a template reference; expected {expected}";
            return false;
        }

        if (version is null)
        {
            error = versionRequired ? $"'{text}' names no version; expected {expected}" : null;
            reference = versionRequired ? null : new TemplateReference(name, null);
            return !versionRequired;
        }

        if (!SemanticVersion.TryParse(version, out _, out var problem))
        {
            error = $"'{version}' in '{text}' is not a valid version: {problem}";
            return false;
        }

        error = null;
        reference = new TemplateReference(name, version);
        return true;
    }

    /// <summary>A positional argument that parses <c>NAME[@VERSION]</c>; malformed values are parse errors (exit code 1).</summary>
    public static Argument<TemplateReference> Argument(string name, bool versionRequired, string description) => new(name)
    {
        Description = description,
        HelpName = versionRequired ? "name@version" : "name[@version]",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (TryParse(text, versionRequired, out var reference, out var error))
            {
                return reference!;
            }

            result.AddError(error!);
            return null!;
        },
    };

    /// <summary>The API path of this version, relative to /api/v1/: <c>templates/{name}/versions/{version}</c>.</summary>
    public string VersionPath => Version is null
        ? throw new InvalidOperationException($"Template reference '{Name}' has no version.")
        : $"templates/{Uri.EscapeDataString(Name)}/versions/{Uri.EscapeDataString(Version)}";

    public override string ToString() => Version is null ? Name : $"{Name}@{Version}";
}
