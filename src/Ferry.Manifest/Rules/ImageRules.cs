namespace Ferry.Manifest.Rules;

/// <summary>What an <c>image</c> of a function may say, shared by the YAML loader and the JSON validator.</summary>
public static class ImageRules
{
    /// <summary>The runtime of an image function that names none: the image brings its own runtime loop.</summary>
    public const string Runtime = "provided";

    public const string PathRule = "a relative path to a file inside the app folder (such as './images/fn.oci.tar'), without '..'";

    /// <summary>Longest argv of an entry point or command, and longest single argument: a manifest is not a place for blobs.</summary>
    public const int MaxArguments = 256;

    public const int MaxArgumentLength = 4096;

    /// <summary>
    /// The path without a leading <c>./</c>, or null when it is absolute, has a backslash or NUL, or has an empty,
    /// <c>.</c> or <c>..</c> segment (anything that could name a file outside the app).
    /// </summary>
    public static string? NormalizePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
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

    /// <summary>Null when <paramref name="argv"/> is usable as an entry point or command; else what is wrong with it.</summary>
    public static string? FindArgumentsProblem(IReadOnlyList<string?> argv, bool mayBeEmpty)
    {
        if (argv.Count == 0 && !mayBeEmpty)
        {
            return "must not be empty";
        }

        if (argv.Count > MaxArguments)
        {
            return $"has {argv.Count} arguments; at most {MaxArguments} are allowed";
        }

        if (argv.Any(argument => argument is null || argument.Contains('\0')))
        {
            return "must hold strings without NUL characters";
        }

        if (argv.Any(argument => argument!.Length > MaxArgumentLength))
        {
            return $"has an argument longer than {MaxArgumentLength} characters";
        }

        return null;
    }

    /// <summary>Null when <paramref name="directory"/> is an absolute, NUL-free path; else what is wrong with it.</summary>
    public static string? FindWorkingDirectoryProblem(string directory) =>
        directory.StartsWith('/') && !directory.Contains('\0') && directory.Length <= MaxArgumentLength
            ? null
            : "must be an absolute path inside the image, such as /var/task";
}
