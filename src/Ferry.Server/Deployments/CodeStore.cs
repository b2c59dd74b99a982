using Ferry.Packaging;

namespace Ferry.Server.Deployments;

/// <summary>
/// Uploaded archives (content-addressed) and their extracted code folders, <c>code/&lt;sha256&gt;</c>. An archive is
/// extracted once however many revisions use it; extraction goes to a temporary folder first, so a crash never
/// leaves a half-extracted folder behind under the final name.
/// </summary>
public sealed class CodeStore(string dataDirectory)
{
    private readonly SemaphoreSlim _extractGate = new(1, 1);

    public ArtifactStore Artifacts { get; } = new(Path.Combine(dataDirectory, "artifacts"));

    public string CodeRoot { get; } = Path.Combine(dataDirectory, "code");

    public string CodeDirectory(string sha256) => Path.Combine(CodeRoot, sha256);

    /// <summary>The extracted folder of an archive, extracting it when it is not there yet.</summary>
    public async Task<string> EnsureExtractedAsync(string sha256, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        var directory = CodeDirectory(sha256);
        if (Directory.Exists(directory))
        {
            return directory;
        }

        await _extractGate.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(CodeRoot);
                await using var archive = Artifacts.OpenRead(sha256);
                await AppArchive.ExtractAsync(archive, directory, limits, cancellationToken);
            }
        }
        finally
        {
            _extractGate.Release();
        }

        return directory;
    }

    /// <summary>Deletes archives and code folders no revision refers to (left by removed apps or interrupted deploys).</summary>
    public int CollectGarbage(IReadOnlySet<string> referenced)
    {
        var removed = 0;
        foreach (var sha in Artifacts.List().Where(s => !referenced.Contains(s)).ToList())
        {
            Artifacts.Delete(sha);
            removed++;
        }

        if (Directory.Exists(CodeRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(CodeRoot))
            {
                if (!referenced.Contains(Path.GetFileName(directory)))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }

        return removed;
    }
}
