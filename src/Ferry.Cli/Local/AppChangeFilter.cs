using Ferry.Packaging;

namespace Ferry.Cli.Local;

/// <summary>
/// Decides whether a changed path in the app folder can change what <c>ferry dev</c> deploys: the manifest always
/// can; other files can when the package patterns put them in the archive. Tool and VCS folders never count,
/// whatever the patterns say (<c>.git</c>, <c>.ferry</c>, <c>.serverless</c>, <c>__pycache__</c>). Dependencies such
/// as <c>node_modules</c> do: they are part of the package.
/// </summary>
internal sealed class AppChangeFilter
{
    private static readonly HashSet<string> IgnoredFolders = new(StringComparer.Ordinal) { ".git", ".ferry", ".serverless", "__pycache__" };

    private readonly string _appDirectory;
    private readonly string _configPath;
    private volatile PackagePatternSet _patterns = PackagePatternSet.Create([]);

    public AppChangeFilter(string appDirectory, string configPath)
    {
        _appDirectory = Path.GetFullPath(appDirectory);
        _configPath = Path.GetFullPath(configPath);
    }

    /// <summary>Uses the <c>package.patterns</c> of the manifest just loaded.</summary>
    public void UsePatterns(IReadOnlyList<string> patterns) => _patterns = PackagePatternSet.Create(patterns);

    public bool IsRelevant(string fullPath)
    {
        var path = Path.GetFullPath(fullPath);
        if (string.Equals(path, _configPath, StringComparison.Ordinal))
        {
            return true;
        }

        var relative = Path.GetRelativePath(_appDirectory, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return false;
        }

        var segments = relative.Split(Path.DirectorySeparatorChar);
        if (segments.Any(IgnoredFolders.Contains))
        {
            return false;
        }

        // A folder event (created, renamed) may stand for files the patterns include; the archive hash decides.
        return Directory.Exists(path) || _patterns.Includes(string.Join('/', segments));
    }
}
