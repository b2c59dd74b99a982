using Ferry.Packaging;
using Ferry.Store;

namespace Ferry.Server.Deployments;

/// <summary>
/// Uploaded archives (content-addressed) and their extracted code folders, <c>code/&lt;sha256&gt;</c>. An archive is
/// extracted once however many revisions use it; extraction goes to a temporary folder first, so a crash never
/// leaves a half-extracted folder behind under the final name. An upload that is refused takes its archive and
/// extraction with it at once (<see cref="DiscardIfUnusedAsync"/>); what a crash leaves behind goes at the next start
/// (<see cref="CollectGarbage"/>).
/// </summary>
public sealed class CodeStore(string dataDirectory)
{
    private readonly SemaphoreSlim _extractGate = new(1, 1);

    /// <summary>Archives a deploy in progress works with, and how many deploys do: these are never discarded.</summary>
    private readonly Dictionary<string, int> _inUse = new(StringComparer.Ordinal);

    /// <summary>Serializes taking a hold and discarding, so a discard never races a new deploy of the same archive.</summary>
    private readonly SemaphoreSlim _discardGate = new(1, 1);

    public ArtifactStore Artifacts { get; } = new(Path.Combine(dataDirectory, "artifacts"));

    public string CodeRoot { get; } = Path.Combine(dataDirectory, "code");

    /// <summary>Scratch folders of work in progress (template installs); emptied at every start.</summary>
    public string ScratchRoot { get; } = Path.Combine(dataDirectory, "scratch");

    /// <summary>A new owner-only scratch folder under <see cref="ScratchRoot"/>; the caller deletes it.</summary>
    public DirectoryInfo CreateScratchDirectory(string prefix)
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(ScratchRoot, ownerOnly);
        return Directory.CreateDirectory(Path.Combine(ScratchRoot, $"{prefix}{Guid.NewGuid():N}"), ownerOnly);
    }

    /// <summary>
    /// Stores an uploaded archive and marks it in use until the returned hold is disposed, so a concurrent refused
    /// upload of the same content does not remove it.
    /// </summary>
    /// <exception cref="ArtifactTooLargeException">More than <paramref name="maxBytes"/> arrived; nothing is kept.</exception>
    public async Task<ArtifactHold> SaveAsync(Stream archive, long maxBytes, CancellationToken cancellationToken)
    {
        var sha256 = await Artifacts.SaveAsync(archive, maxBytes, cancellationToken);
        await _discardGate.WaitAsync(cancellationToken);
        try
        {
            if (!Artifacts.Exists(sha256))
            {
                // A refused upload of the same bytes removed it between our save and this hold.
                throw new ArtifactRemovedException(sha256);
            }

            lock (_inUse)
            {
                _inUse[sha256] = _inUse.GetValueOrDefault(sha256) + 1;
            }
        }
        finally
        {
            _discardGate.Release();
        }

        return new ArtifactHold(this, sha256);
    }

    /// <summary>
    /// After a refused or failed deploy: removes the archive and its extracted folder unless a revision refers to
    /// them or another deploy is using them. Call after disposing the hold.
    /// </summary>
    /// <returns>True when something was removed.</returns>
    public async Task<bool> DiscardIfUnusedAsync(string sha256, IFerryStore store, CancellationToken cancellationToken)
    {
        await _discardGate.WaitAsync(cancellationToken);
        try
        {
            lock (_inUse)
            {
                if (_inUse.ContainsKey(sha256))
                {
                    return false;
                }
            }

            // No deploy holds it now, and holds end only after the revision is recorded: this read sees every
            // revision that uses the archive. New holds wait for the gate.
            if ((await store.ListReferencedArtifactsAsync(cancellationToken)).Contains(sha256))
            {
                return false;
            }

            Artifacts.Delete(sha256);
            var directory = CodeDirectory(sha256);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            return true;
        }
        finally
        {
            _discardGate.Release();
        }
    }

    private void Release(string sha256)
    {
        lock (_inUse)
        {
            if (_inUse.GetValueOrDefault(sha256) <= 1)
            {
                _inUse.Remove(sha256);
            }
            else
            {
                _inUse[sha256]--;
            }
        }
    }

    /// <summary>An archive a deploy in progress uses; dispose when the deploy is recorded or refused.</summary>
    public sealed class ArtifactHold(CodeStore owner, string sha256) : IDisposable
    {
        private int _released;

        public string Sha256 { get; } = sha256;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(Sha256);
            }
        }
    }

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

    /// <summary>
    /// At start-up (nothing in progress): deletes archives and code folders no revision refers to (left by removed
    /// apps or interrupted deploys), uploads that never completed (<c>.partial</c>), half-done extractions and scratch
    /// folders.
    /// </summary>
    /// <returns>How many archives (complete or partial) were removed.</returns>
    public int CollectGarbage(IReadOnlySet<string> referenced)
    {
        var removed = Artifacts.DeleteIncomplete();
        if (Directory.Exists(ScratchRoot))
        {
            Directory.Delete(ScratchRoot, recursive: true);
        }

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

/// <summary>The archive was removed by a concurrent refused upload of the same bytes between storing and using it.</summary>
public sealed class ArtifactRemovedException(string sha256)
    : Exception($"The uploaded archive {sha256[..12]} was removed by a concurrent refused upload of the same archive; deploy again.");
