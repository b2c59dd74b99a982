using Ferry.Manifest;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>Typed reads of raw YAML values that report what was expected, with the value's location.</summary>
internal abstract class YamlValueReader(string fileName, DiagnosticList diagnostics)
{
    protected string FileName => fileName;

    protected DiagnosticList Diagnostics => diagnostics;

    protected SourceLocation At(YamlNode node) => node.LocationOf(fileName);

    protected string? RequiredString(YamlNode node, string path)
    {
        if (node is YamlScalarNode scalar && !scalar.IsNull() && scalar.Value is { Length: > 0 } text)
        {
            return text;
        }

        diagnostics.Error(At(node), $"{path} must be a non-empty string, got {node.Describe()}");
        return null;
    }

    protected bool? Flag(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }

        diagnostics.Error(At(node), $"{path} must be true or false, got {node.Describe()}");
        return null;
    }
}
