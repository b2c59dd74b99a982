using Ferry.Manifest;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>Parses untrusted YAML into the representation model with a nesting limit, and locates nodes.</summary>
internal static class YamlText
{
    /// <summary>Deeper nesting is never a real serverless.yml and would only risk a stack overflow while building nodes.</summary>
    private const int MaxNestingDepth = 64;

    /// <summary>The root mapping, or null after reporting why the text is not a single YAML mapping.</summary>
    public static YamlMappingNode? ReadRootMapping(string yaml, string fileName, DiagnosticList diagnostics)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new DepthLimitingParser(new Parser(new StringReader(yaml))));
        }
        catch (YamlException exception)
        {
            diagnostics.Error(new SourceLocation(fileName, (int)exception.Start.Line, (int)exception.Start.Column), $"invalid YAML: {exception.Message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            diagnostics.Error(new SourceLocation(fileName, 1, 1), "invalid YAML: is a '[', '{' or quote left unclosed?");
            return null;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            diagnostics.Error(new SourceLocation(fileName, 1, 1), "expected a single YAML document whose top level is a mapping");
            return null;
        }

        return root;
    }

    public static SourceLocation LocationOf(this YamlNode node, string fileName) =>
        new(fileName, (int)node.Start.Line, (int)node.Start.Column);

    public static YamlNode? Child(this YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: var name } && name == key).Value;

    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar.</summary>
    public static bool IsNull(this YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public static string Describe(this YamlNode node) => node switch
    {
        YamlScalarNode scalar when scalar.IsNull() => "nothing (null)",
        YamlScalarNode scalar => $"'{scalar.Value}'",
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "an unsupported YAML node",
    };

    private sealed class DepthLimitingParser(IParser inner) : IParser
    {
        private int depth;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }

            switch (inner.Current)
            {
                case MappingStart or SequenceStart when ++depth > MaxNestingDepth:
                    throw new YamlException(inner.Current.Start, inner.Current.End, $"nesting is deeper than {MaxNestingDepth} levels");
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }

            return true;
        }
    }
}
