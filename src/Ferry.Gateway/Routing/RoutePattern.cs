namespace Ferry.Gateway.Routing;

internal enum RouteSegmentKind
{
    Literal,
    Parameter,
    Greedy,
}

/// <summary>One segment of a route path: a literal, a <c>{name}</c> parameter, or a final greedy <c>{name+}</c>.</summary>
internal readonly record struct RouteSegment(RouteSegmentKind Kind, string Value);

/// <summary>Parses a declared route path into segments, rejecting shapes API Gateway would reject.</summary>
internal static class RoutePattern
{
    /// <summary>The path that matches any request path (API Gateway's <c>$default</c> route).</summary>
    public const string CatchAll = "*";

    /// <summary>
    /// Splits <paramref name="path"/> into segments. <c>/</c> has none; a single trailing slash is ignored,
    /// so <c>/users/</c> and <c>/users</c> are the same route.
    /// </summary>
    /// <exception cref="FormatException">The path is not a valid route path; the message says why.</exception>
    public static RouteSegment[] Parse(string path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            throw new FormatException($"Route path '{path}' must start with '/' (or be '*' for any path).");
        }

        ReadOnlySpan<char> body = path.AsSpan(1);
        if (body.EndsWith('/'))
        {
            body = body[..^1];
        }

        if (body.IsEmpty)
        {
            return [];
        }

        var segments = new List<RouteSegment>();
        var parameterNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (Range range in body.Split('/'))
        {
            ReadOnlySpan<char> text = body[range];
            if (segments.Count > 0 && segments[^1].Kind == RouteSegmentKind.Greedy)
            {
                throw new FormatException($"Route path '{path}': a greedy parameter ('{{{segments[^1].Value}+}}') must be the last segment.");
            }

            RouteSegment segment = ParseSegment(path, text);
            if (segment.Kind != RouteSegmentKind.Literal && !parameterNames.Add(segment.Value))
            {
                throw new FormatException($"Route path '{path}' declares parameter '{segment.Value}' more than once.");
            }

            segments.Add(segment);
        }

        return [.. segments];
    }

    private static RouteSegment ParseSegment(string path, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            throw new FormatException($"Route path '{path}' has an empty segment ('//').");
        }

        if (text[0] == '{' && text[^1] == '}')
        {
            ReadOnlySpan<char> name = text[1..^1];
            var kind = RouteSegmentKind.Parameter;
            if (name.EndsWith('+'))
            {
                name = name[..^1];
                kind = RouteSegmentKind.Greedy;
            }

            if (!IsParameterName(name))
            {
                throw new FormatException(
                    $"Route path '{path}': '{text}' is not a valid parameter; expected {{name}} or {{name+}} with a name of letters, digits, '_', '-' or '.'.");
            }

            return new RouteSegment(kind, name.ToString());
        }

        if (text.ContainsAny('{', '}'))
        {
            throw new FormatException(
                $"Route path '{path}': segment '{text}' mixes literal text and a parameter; a parameter must be a whole segment.");
        }

        return new RouteSegment(RouteSegmentKind.Literal, text.ToString());
    }

    private static bool IsParameterName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
