using System.Text.RegularExpressions;
using Ferry.Manifest;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>Reads the <c>template:</c> section of a serverless.yml into a <see cref="TemplateDefinition"/>.</summary>
internal sealed partial class TemplateSectionReader(string fileName, DiagnosticList diagnostics, Func<string, string?>? readAppFile)
    : YamlValueReader(fileName, diagnostics)
{
    public const int MaxReadmeCharacters = 256 * 1024;
    private const int MaxLabels = 20;
    private const int MaxDescriptionCharacters = 1000;

    private static readonly string[] KnownKeys =
        ["name", "version", "description", "readme", "author", "license", "labels", "parameters", "closedSource"];

    private static readonly string[] ReadmeExtensions = [".md", ".markdown", ".txt"];

    [GeneratedRegex("^[a-z][a-z0-9-]{1,62}$")]
    private static partial Regex TemplateNamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex LabelPattern();

    private const string LabelRule = "1-32 lowercase letters, digits or '-', starting with a letter or digit";

    /// <summary>The definition without <see cref="TemplateDefinition.ClosedSource"/>, or null after reporting errors.</summary>
    public TemplateDefinition? Read(YamlMappingNode root)
    {
        var sectionKey = root.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(key => key.Value == "template");
        if (sectionKey is null)
        {
            Diagnostics.Error(new SourceLocation(FileName, 1, 1),
                "a template needs a top-level 'template:' section with at least name, version and description");
            return null;
        }

        if (root.Children[sectionKey] is not YamlMappingNode section)
        {
            Diagnostics.Error(At(root.Children[sectionKey]), $"template must be a mapping with name, version and description, got {root.Children[sectionKey].Describe()}");
            return null;
        }

        string? name = null;
        SemanticVersion? version = null;
        string? description = null;
        string? readme = null;
        string? author = null;
        string? license = null;
        IReadOnlyList<string> labels = [];
        IReadOnlyList<TemplateParameter> parameters = [];
        foreach (var (keyNode, value) in section.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var path = $"template.{key}";
            switch (key)
            {
                case "name":
                    name = ReadName(value, path);
                    break;
                case "version":
                    version = ReadVersion(value, path);
                    break;
                case "description":
                    description = RequiredString(value, path);
                    if (description?.Length > MaxDescriptionCharacters)
                    {
                        Diagnostics.Error(At(value), $"{path} must be at most {MaxDescriptionCharacters} characters; put details in the README");
                    }

                    break;
                case "readme":
                    readme = ReadReadme(value, path);
                    break;
                case "author":
                    author = RequiredString(value, path);
                    break;
                case "license":
                    license = RequiredString(value, path);
                    break;
                case "labels":
                    labels = ReadLabels(value, path);
                    break;
                case "parameters":
                    parameters = new TemplateParameterReader(FileName, Diagnostics).ReadAll(value, path);
                    break;
                case "closedSource":
                    break; // resolved against the functions by ClosedSourceResolver
                default:
                    Diagnostics.Warning(At(keyNode), $"{path} is not a template setting (known: {string.Join(", ", KnownKeys)}); ignored");
                    break;
            }
        }

        foreach (var required in new[] { "name", "version", "description" })
        {
            if (section.Child(required) is null)
            {
                Diagnostics.Error(At(section), $"template.{required} is required");
            }
        }

        if (name is null || version is null || description is null)
        {
            return null;
        }

        return new TemplateDefinition
        {
            Name = name,
            Version = version,
            Description = description,
            Readme = readme,
            Author = author,
            License = license,
            Labels = labels,
            Parameters = parameters,
        };
    }
    private string? ReadName(YamlNode node, string path)
    {
        var name = RequiredString(node, path);
        if (name is not null && !TemplateNamePattern().IsMatch(name))
        {
            Diagnostics.Error(At(node), $"{path} '{name}' is invalid; template names are {TemplateDefinition.NameRule}");
            return null;
        }

        return name;
    }

    private SemanticVersion? ReadVersion(YamlNode node, string path)
    {
        var text = RequiredString(node, path);
        if (text is null)
        {
            return null;
        }

        if (!SemanticVersion.TryParse(text, out var version, out var problem))
        {
            Diagnostics.Error(At(node), $"{path} '{text}' is not {SemanticVersion.Rule}: {problem}");
        }

        return version;
    }

    /// <summary>
    /// A single line ending in .md, .markdown or .txt names a file of the app (relative to serverless.yml); anything
    /// else is the README's text itself.
    /// </summary>
    private string? ReadReadme(YamlNode node, string path)
    {
        var text = RequiredString(node, path);
        if (text is null)
        {
            return null;
        }

        var isFileName = !text.Contains('\n') && ReadmeExtensions.Any(extension => text.EndsWith(extension, StringComparison.OrdinalIgnoreCase));
        if (isFileName)
        {
            var relative = AppPaths.Normalize(text);
            if (relative is null)
            {
                Diagnostics.Error(At(node), $"{path} '{text}' must be a path inside the app folder (relative, without '..')");
                return null;
            }

            if (readAppFile is null)
            {
                Diagnostics.Error(At(node), $"{path} names the file '{relative}', but there is no app folder to read it from");
                return null;
            }

            text = readAppFile(relative);
            if (text is null)
            {
                Diagnostics.Error(At(node), $"{path} names the file '{relative}', which does not exist in the app folder");
                return null;
            }
        }

        if (text.Length > MaxReadmeCharacters)
        {
            Diagnostics.Error(At(node), $"{path}: the README has {text.Length:N0} characters; at most {MaxReadmeCharacters:N0} are allowed");
            return null;
        }

        return text;
    }

    private List<string> ReadLabels(YamlNode node, string path)
    {
        var labels = new List<string>();
        if (node is not YamlSequenceNode sequence)
        {
            Diagnostics.Error(At(node), $"{path} must be a list such as [images, media], got {node.Describe()}");
            return labels;
        }

        if (sequence.Children.Count > MaxLabels)
        {
            Diagnostics.Error(At(node), $"{path} has {sequence.Children.Count} labels; at most {MaxLabels} are allowed");
        }

        foreach (var item in sequence.Children)
        {
            var label = RequiredString(item, $"{path} item");
            if (label is null)
            {
                continue;
            }

            if (!LabelPattern().IsMatch(label))
            {
                Diagnostics.Error(At(item), $"label '{label}' is invalid; labels are {LabelRule}");
            }
            else if (labels.Contains(label, StringComparer.Ordinal))
            {
                Diagnostics.Error(At(item), $"label '{label}' is listed twice");
            }
            else
            {
                labels.Add(label);
            }
        }

        return labels;
    }
}
