namespace Ferry.Cli.Build;

/// <summary>
/// Finds the esbuild executable: the app's own (<c>node_modules/.bin/esbuild</c>), else <c>FERRY_ESBUILD</c>, else
/// the one <c>scripts/setup.sh</c> installs into Ferry's tools folder (<c>FERRY_TOOLS</c>, default <c>~/.ferry/tools</c>).
/// </summary>
internal static class EsbuildTool
{
    public const string ToolsVariable = "FERRY_TOOLS";
    public const string ExecutableVariable = "FERRY_ESBUILD";

    /// <exception cref="CliUserException">No esbuild was found.</exception>
    public static string Find(string appDirectory, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(appDirectory);
        ArgumentNullException.ThrowIfNull(environment);

        var candidates = new List<string> { Path.Combine(appDirectory, "node_modules", ".bin", "esbuild") };
        if (environment(ExecutableVariable) is { Length: > 0 } explicitPath)
        {
            candidates.Add(explicitPath);
        }

        candidates.Add(Path.Combine(ToolsFolder(environment), "node_modules", ".bin", "esbuild"));
        var found = candidates.FirstOrDefault(File.Exists);
        return found ?? throw new CliUserException(
            $"The app needs a TypeScript/esbuild build, but no esbuild was found (looked at {string.Join(", ", candidates)}). " +
            "Install it in the app ('npm install --save-dev esbuild') or run 'bash scripts/setup.sh', which installs Ferry's copy.");
    }

    /// <summary><c>FERRY_TOOLS</c>, else <c>~/.ferry/tools</c>.</summary>
    public static string ToolsFolder(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment(ToolsVariable) is { Length: > 0 } tools
            ? tools
            : Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ferry", "tools");
    }
}
