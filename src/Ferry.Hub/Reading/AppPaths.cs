namespace Ferry.Hub.Reading;

/// <summary>Paths of files inside an app folder, as written in serverless.yml and stored in archives ('/'-separated).</summary>
internal static class AppPaths
{
    /// <summary>
    /// The path without a leading <c>./</c>, or null when it is absolute, has a backslash, or has an empty,
    /// <c>.</c> or <c>..</c> segment (anything that could name a file outside the app).
    /// </summary>
    public static string? Normalize(string path)
    {
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        if (path.Length == 0 || path[0] == '/' || path.Contains('\\') || path.Contains('\0'))
        {
            return null;
        }

        return path.Split('/').Any(segment => segment is "" or "." or "..") ? null : path;
    }
}
