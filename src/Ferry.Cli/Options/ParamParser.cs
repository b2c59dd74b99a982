namespace Ferry.Cli.Options;

/// <summary>Parses <c>--param key=value</c> values (the Serverless Framework's syntax); a later key wins.</summary>
internal static class ParamParser
{
    public static bool TryParse(string text, out KeyValuePair<string, string> pair, out string? error)
    {
        pair = default;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            error = $"--param '{text}' has no '='; expected key=value";
            return false;
        }

        var key = text[..equals].Trim();
        if (key.Length == 0)
        {
            error = $"--param '{text}' has an empty key; expected key=value";
            return false;
        }

        if (key.Any(char.IsWhiteSpace))
        {
            error = $"--param '{text}' has whitespace in its key '{key}'";
            return false;
        }

        pair = new KeyValuePair<string, string>(key, text[(equals + 1)..]);
        error = null;
        return true;
    }

    /// <summary>Parses every value; the first malformed one is reported through <paramref name="error"/>.</summary>
    public static IReadOnlyDictionary<string, string> ParseAll(IEnumerable<string> values, out string? error)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            if (!TryParse(value, out var pair, out error))
            {
                return parameters;
            }

            parameters[pair.Key] = pair.Value;
        }

        error = null;
        return parameters;
    }
}
