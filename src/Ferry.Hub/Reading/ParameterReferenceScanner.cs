using System.Text.RegularExpressions;
using Ferry.Manifest;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>Finds every <c>${param:NAME}</c> written in a scalar value of a serverless.yml (the template section aside).</summary>
internal static partial class ParameterReferenceScanner
{
    [GeneratedRegex(@"\$\{\s*param\s*:\s*(?<name>\$\{[^}]*\}?|[^,}]*)")]
    private static partial Regex ParamReference();

    public static List<ParameterReference> Scan(YamlMappingNode root, string fileName)
    {
        var references = new List<ParameterReference>();
        foreach (var (key, value) in root.Children)
        {
            if (key is not YamlScalarNode { Value: "template" })
            {
                Visit(value, fileName, references);
            }
        }

        return references;
    }

    private static void Visit(YamlNode node, string fileName, List<ParameterReference> references)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { } text } scalar when text.Contains("${", StringComparison.Ordinal):
                foreach (Match match in ParamReference().Matches(text))
                {
                    references.Add(new ParameterReference(match.Groups["name"].Value.Trim(), scalar.LocationOf(fileName)));
                }

                break;
            case YamlMappingNode mapping:
                foreach (var (_, value) in mapping.Children)
                {
                    Visit(value, fileName, references);
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Visit(item, fileName, references);
                }

                break;
        }
    }
}
