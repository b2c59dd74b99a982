using System.Globalization;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>
/// Loads a template's serverless.yml as a reviewer should see it: with no consumer's values. Each parameter reads as
/// the placeholder text <c>${param:NAME}</c>, so environment variables show which parameter feeds them and no
/// secret's default ever appears. Number parameters are the exception, because they may feed numeric settings such
/// as <c>memorySize</c>: they take their default, else their minimum, else their maximum. <c>${env:…}</c> has no
/// value here (a template must not depend on its publisher's machine), so only its fallback can be used.
/// </summary>
public static class TemplateReviewManifest
{
    /// <summary>The text that stands for a parameter's value in a review manifest.</summary>
    public static string Placeholder(string parameterName) => $"${{param:{parameterName}}}";

    /// <exception cref="ManifestException">The manifest has errors (with file, line and column).</exception>
    public static ManifestLoadResult Load(string yaml, string fileName, TemplateDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(definition);

        var options = new ManifestLoadOptions
        {
            ParamOverrides = definition.Parameters.ToDictionary(p => p.Name, ReviewValue, StringComparer.Ordinal),
            EnvironmentVariable = _ => null,
        };
        return ManifestLoader.Parse(yaml, fileName, options);
    }

    private static string ReviewValue(TemplateParameter parameter)
    {
        if (parameter.Type != TemplateParameterType.Number || parameter.Secret)
        {
            return Placeholder(parameter.Name);
        }

        return parameter.Default
            ?? (parameter.Minimum ?? parameter.Maximum)?.ToString(CultureInfo.InvariantCulture)
            ?? Placeholder(parameter.Name);
    }
}
