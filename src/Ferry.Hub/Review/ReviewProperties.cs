using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>A named setting of a reviewed item, in display form; null when it is not set.</summary>
internal sealed record ReviewProperty(string Name, string? Value);

/// <summary>The settings of definitions, functions and parameters that a review compares, in display order.</summary>
internal static class ReviewProperties
{
    public const string Readme = "readme";

    public static List<PropertyChange> Compare(IReadOnlyList<ReviewProperty> before, IReadOnlyList<ReviewProperty> after)
    {
        var changes = new List<PropertyChange>();
        foreach (var property in after)
        {
            var old = before.FirstOrDefault(p => p.Name == property.Name)?.Value;
            if (old != property.Value)
            {
                changes.Add(new PropertyChange(property.Name, old, property.Value));
            }
        }

        changes.AddRange(before
            .Where(old => old.Value is not null && after.All(p => p.Name != old.Name))
            .Select(old => new PropertyChange(old.Name, old.Value, null)));
        return changes;
    }

    public static List<ReviewProperty> Metadata(TemplateDefinition? definition) => definition is null ? [] :
    [
        new("description", definition.Description),
        new(Readme, definition.Readme is null ? null : Fingerprint(definition.Readme)),
        new("author", definition.Author),
        new("license", definition.License),
        new("labels", definition.Labels.Count == 0 ? null : string.Join(", ", definition.Labels)),
    ];

    public static List<ReviewProperty> Function(FunctionManifest function, SecretMasking masking)
    {
        var properties = new List<ReviewProperty>
        {
            new("runtime", function.Runtime),
            new("handler", function.Handler),
            new("command", function.Command is null ? null : masking.Mask(string.Join(' ', function.Command))),
            new("memorySize", $"{function.MemorySize} MB"),
            new("timeout", $"{function.Timeout} s"),
        };
        properties.AddRange(function.Environment
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ReviewProperty($"environment.{pair.Key}", masking.Mask(pair.Value))));
        return properties;
    }

    public static List<ReviewProperty> Parameter(TemplateParameter parameter) =>
    [
        new("type", parameter.Type.ToString().ToLowerInvariant()),
        new("description", parameter.Description),
        new("default", parameter.Default is null ? null : parameter.Secret ? RedactedParameters.Mask : parameter.Default),
        new("required", parameter.Required ? "true" : "false"),
        new("secret", parameter.Secret ? "true" : "false"),
        new("allowedValues", parameter.AllowedValues.Count == 0 ? null : string.Join(", ", parameter.AllowedValues)),
        new("pattern", parameter.Pattern),
        new("minimum", parameter.Minimum?.ToString(CultureInfo.InvariantCulture)),
        new("maximum", parameter.Maximum?.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>Long texts are compared by hash and shown as "changed".</summary>
    private static string Fingerprint(string text) =>
        $"{text.Length} characters, sha256 {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12]}";
}

/// <summary>
/// Hides the defaults of secret parameters wherever they might appear in a manifest (they don't in a review manifest,
/// which holds placeholders, but a caller may pass a manifest resolved with defaults).
/// </summary>
internal sealed class SecretMasking(TemplateDefinition? previous, TemplateDefinition next)
{
    private readonly string[] secretValues = [.. new[] { previous, next }
        .SelectMany(definition => definition?.Parameters ?? [])
        .Where(parameter => parameter.Secret && !string.IsNullOrEmpty(parameter.Default))
        .Select(parameter => parameter.Default!)
        .Distinct(StringComparer.Ordinal)];

    public string Mask(string value) =>
        secretValues.Any(secret => value.Contains(secret, StringComparison.Ordinal)) ? RedactedParameters.Mask : value;
}
