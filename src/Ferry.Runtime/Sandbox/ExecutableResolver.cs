namespace Ferry.Runtime.Sandbox;

/// <summary>Resolves a bare program name (argv[0]) the way the sandbox's PATH would, before the sandbox exists.</summary>
internal static class ExecutableResolver
{
    /// <summary>Used when the sandbox's environment has no PATH; system folders only, so /usr/bin/python3 wins over shims.</summary>
    public const string DefaultSearchPath = "/usr/local/bin:/usr/bin:/bin";

    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Returns the sandbox path of <paramref name="program"/>: unchanged when it contains a '/', else the first
    /// match in the sandbox's PATH. <paramref name="toHostPath"/> maps a sandbox path to the host file behind it,
    /// or null for paths the sandbox cannot see (so a host-only PATH entry like ~/.pyenv/shims never matches).
    /// </summary>
    public static string Resolve(string program, IReadOnlyDictionary<string, string> environment, Func<string, string?> toHostPath)
    {
        if (program.Contains('/'))
        {
            return program;
        }

        var searchPath = environment.TryGetValue("PATH", out var path) && path.Length > 0 ? path : DefaultSearchPath;
        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!directory.StartsWith('/'))
            {
                continue;
            }

            var candidate = directory.TrimEnd('/') + "/" + program;
            if (toHostPath(candidate) is { } hostPath && IsExecutableFile(hostPath))
            {
                return candidate;
            }
        }

        throw new SandboxStartException(
            $"the program '{program}' was not found in the sandbox's PATH ({searchPath}); " +
            "install it on the host under /usr or give an absolute path");
    }

    private static bool IsExecutableFile(string path)
    {
        try
        {
            return File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & AnyExecute) != 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
