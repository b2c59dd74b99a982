namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// Scratch folders next to the test binaries rather than in /tmp: sandboxes get a private /tmp of their own, so a
/// folder outside /tmp is what really shows that a function cannot see the host's files.
/// </summary>
internal static class TempDirectory
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "scratch");

    public static string Create(string prefix)
    {
        var path = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Copies of app folders, so a test that builds into an app (<c>.ferry/build</c>) leaves the repository clean.</summary>
internal static class AppCopy
{
    /// <summary>A scratch copy of <paramref name="source"/> (without <c>node_modules</c>, <c>vendor</c>, <c>.ferry</c> and <c>.serverless</c>).</summary>
    public static string Of(string source)
    {
        var target = TempDirectory.Create(Path.GetFileName(source.TrimEnd('/'))[..Math.Min(20, Path.GetFileName(source.TrimEnd('/')).Length)]);
        Copy(new DirectoryInfo(source), target);
        return target;
    }

    private static void Copy(DirectoryInfo source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in source.EnumerateFiles())
        {
            file.CopyTo(Path.Combine(target, file.Name));
        }

        foreach (var folder in source.EnumerateDirectories())
        {
            if (folder.Name is not ("node_modules" or "vendor" or ".ferry" or ".serverless"))
            {
                Copy(folder, Path.Combine(target, folder.Name));
            }
        }
    }
}
