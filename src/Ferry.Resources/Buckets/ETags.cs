namespace Ferry.Resources.Buckets;

/// <summary>Entity tags as S3 sends them (quoted) and compares them (If-Match lists, '*', weak tags).</summary>
internal static class ETags
{
    public static string Quote(string etag) => $"\"{etag}\"";

    public static string Unquote(string value)
    {
        var trimmed = value.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        return trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"' ? trimmed[1..^1] : trimmed;
    }

    /// <summary>Whether a conditional header's value (a list of tags, or '*') names the stored ETag.</summary>
    public static bool Match(string headerValue, string etag)
        => headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(candidate => candidate == "*" || string.Equals(Unquote(candidate), etag, StringComparison.OrdinalIgnoreCase));
}
