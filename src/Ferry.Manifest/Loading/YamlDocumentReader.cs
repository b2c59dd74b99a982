using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Loading;

/// <summary>Turns text into YamlDotNet's representation model, reporting malformed YAML at the parser's position.</summary>
internal static class YamlDocumentReader
{
    /// <summary>Deeper nesting than this is never a real serverless.yml and would only risk a stack overflow.</summary>
    public const int MaxNestingDepth = 64;

    /// <summary>The root mapping, or null (with an error reported) if the text is not a single YAML mapping.</summary>
    public static YamlMappingNode? ReadRootMapping(string yaml, string fileName, DiagnosticBag diagnostics)
    {
        if (!TryReadDocument(yaml, fileName, diagnostics, out var root))
        {
            return null;
        }

        if (root is null)
        {
            diagnostics.Error(new SourceLocation(fileName, 1, 1), "the file is empty; expected a mapping with at least 'service'");
            return null;
        }

        if (root is not YamlMappingNode mapping)
        {
            diagnostics.Error(Locations.Of(root, fileName), "the top level must be a mapping with keys such as 'service', 'provider' and 'functions'");
            return null;
        }

        return mapping;
    }

    /// <summary>
    /// The root node of a single YAML (or JSON) document: false (with an error reported) if the text can't be parsed
    /// or holds several documents; true with a null root if the text is empty.
    /// </summary>
    public static bool TryReadDocument(string yaml, string fileName, DiagnosticBag diagnostics, out YamlNode? root)
    {
        root = null;
        var stream = new YamlStream();
        var parser = new DepthLimitingParser(new Parser(new StringReader(yaml)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException exception)
        {
            diagnostics.Error(At(exception.Start, fileName), $"invalid YAML: {Describe(exception)}");
            return false;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some unterminated flow collections ("key: [a" followed by more
            // lines); the best position we have is the last thing that parsed.
            diagnostics.Error(At(parser.LastGoodPosition, fileName),
                "invalid YAML: the text after this point can't be parsed; is a '[', '{' or quote left unclosed?");
            return false;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            diagnostics.Error(Locations.Of(second, fileName), "expected a single YAML document, found more than one ('---')");
            return false;
        }

        root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        return true;
    }

    private static SourceLocation At(Mark mark, string fileName) => new(fileName, (int)mark.Line, (int)mark.Column);

    private static string Describe(YamlException exception)
    {
        var message = exception.Message.Trim();
        return message.Length > 0 && char.IsUpper(message[0]) ? char.ToLowerInvariant(message[0]) + message[1..] : message;
    }

    /// <summary>Stops documents nested deeper than <see cref="MaxNestingDepth"/> before they are built recursively.</summary>
    private sealed class DepthLimitingParser(IParser inner) : IParser
    {
        private int depth;

        public ParsingEvent? Current => inner.Current;

        /// <summary>Where the last successfully parsed event started.</summary>
        public Mark LastGoodPosition { get; private set; } = Mark.Empty;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }

            LastGoodPosition = inner.Current!.Start;

            switch (inner.Current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxNestingDepth)
                    {
                        var start = inner.Current.Start;
                        throw new YamlException(start, inner.Current.End, $"Nesting is deeper than {MaxNestingDepth} levels");
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }

            return true;
        }
    }
}

internal static class Locations
{
    /// <summary>YamlDotNet marks are 1-based for both line and column.</summary>
    public static SourceLocation Of(YamlNode node, string fileName) =>
        new(fileName, (int)node.Start.Line, (int)node.Start.Column);
}
