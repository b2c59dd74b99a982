namespace Ferry.Packaging.Frameworks;

/// <summary>Finds a build step's program before the sandbox starts (the sandbox sees the host's files at the same paths).</summary>
public static class BuildProgram
{
    public const string DefaultSearchPath = "/usr/local/bin:/usr/bin:/bin";

    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// The absolute path of <paramref name="program"/>: relative to <paramref name="workingDirectory"/> when it has a
    /// '/', else the first executable file of that name in <paramref name="searchPath"/>; null when there is none.
    /// </summary>
    public static string? Resolve(string program, string workingDirectory, string? searchPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/'))
        {
            var path = Path.GetFullPath(program, workingDirectory);
            return IsExecutableFile(path) ? path : null;
        }

        foreach (var directory in (string.IsNullOrEmpty(searchPath) ? DefaultSearchPath : searchPath).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Path.IsPathRooted(directory) && IsExecutableFile(Path.Combine(directory, program)))
            {
                return Path.Combine(directory, program);
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="directory"/> with every symbolic link along it resolved, so the sandbox can bind it at the same
    /// place (a bind through a link would land elsewhere, or fail on the read-only root).
    /// </summary>
    public static string RealPath(string directory)
    {
        var path = Path.GetFullPath(directory);
        var resolved = "/";
        var remaining = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        for (var hops = 0; remaining.TryDequeue(out var part);)
        {
            var next = Path.Combine(resolved, part);
            var info = new DirectoryInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40)
                {
                    throw new FrameworkException($"too many symbolic links in {directory}");
                }

                // Resolve the target, then what was still to come, from the link's folder.
                var rest = remaining.ToList();
                remaining = new Queue<string>(Path.GetFullPath(target, resolved).Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                resolved = "/";
                continue;
            }

            resolved = next;
        }

        return resolved;
    }

    private static bool IsExecutableFile(string path)
    {
        try
        {
            return File.Exists(path) && (File.GetUnixFileMode(path) & AnyExecute) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
