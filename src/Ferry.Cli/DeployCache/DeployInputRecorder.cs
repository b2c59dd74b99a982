using Ferry.Packaging;

namespace Ferry.Cli.DeployCache;

/// <summary>
/// Watches a full <c>ferry deploy</c> for the deploy cache: the environment variables and files the manifest read,
/// and, once the folder is packaged, a <see cref="DeployInputs"/> snapshot of everything the package came from.
/// </summary>
internal sealed class DeployInputRecorder(CliContext context)
{
    private readonly HashSet<string> _variables = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    /// <summary>What the deploy read, taken right after packaging; null until then, or when it could not be taken (or too many files were just written).</summary>
    public DeployInputs? Snapshot { get; private set; }

    /// <summary>The context's environment, noting each name looked up.</summary>
    public string? Environment(string name)
    {
        lock (_variables)
        {
            _variables.Add(name);
        }

        return context.Environment(name);
    }

    public void FileRead(string fullPath)
    {
        lock (_files)
        {
            _files.Add(fullPath);
        }
    }

    /// <summary>
    /// Takes the snapshot of the folder as it was packaged. After a build (framework preset or esbuild) the whole
    /// folder is watched, not only the packaged files: the build read sources and dependencies the package leaves out.
    /// </summary>
    public void Packaged(string appDirectory, string configPath, IReadOnlyDictionary<string, string> parameters,
        bool built, IReadOnlyList<string> packagePatterns, CancellationToken cancellationToken)
    {
        try
        {
            Snapshot = DeployInputs.Take(
                appDirectory, configPath, parameters, _files,
                VariablesToWatch(_variables, built, context.EnvironmentNames()), context.Environment,
                built ? DeployInputs.WholeFolder : packagePatterns, recentFiles: null, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArchiveException)
        {
            // No record this time; the deploy itself goes on.
            Snapshot = null;
        }
    }

    /// <summary>
    /// The variables to compare: those the manifest read, and after a build also the build-time ones set now
    /// (<see cref="DeployInputs.BuildVariablePrefixes"/>), so that setting a new one is a change too.
    /// </summary>
    public static IEnumerable<string> VariablesToWatch(IEnumerable<string> read, bool built, IEnumerable<string> environmentNames)
        => built
            ? read.Concat(DeployInputs.BuildVariables).Concat(environmentNames.Where(name =>
                DeployInputs.BuildVariablePrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))))
            : read;
}
