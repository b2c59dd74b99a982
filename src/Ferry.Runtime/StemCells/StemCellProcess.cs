using System.Threading.Channels;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// A stem cell's sandboxed process, which owns the cell's host code folder (and a web cell's run folder and launch
/// FIFO): whoever ends up disposing it (the stem cell pool, or the function instance that took the cell over) also
/// removes them.
/// </summary>
internal sealed class StemCellProcess(ISandboxedProcess inner, string codeDirectory, ILogger logger, string? runDirectory = null, IDisposable? launch = null)
    : ISandboxedProcess
{
    private int _disposed;

    public int Pid => inner.Pid;

    public ChannelReader<OutputLine> Output => inner.Output;

    public Task<int> Exited => inner.Exited;

    /// <summary>The sandbox's cgroup; null without cgroups.</summary>
    public InstanceCgroup? Cgroup => (inner as SandboxedProcess)?.Cgroup;

    public long? PeakMemoryBytes() => inner.PeakMemoryBytes();

    public void SetCpuPriority(CpuPriority priority) => inner.SetCpuPriority(priority);

    /// <summary>The logger of the cell's pool.</summary>
    public ILogger Log => logger;

    public Task KillAsync() => inner.KillAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await inner.DisposeAsync();
        launch?.Dispose();
        // A revision's code bound onto the folder (CodeFolderMount) must be gone before the folder is deleted; where
        // nothing is mounted this is one refused umount2.
        CodeFolderMount.Detach(codeDirectory);
        Delete(codeDirectory);
        if (runDirectory is not null)
        {
            Delete(runDirectory);
        }
    }

    private void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(ex, "Could not delete the stem cell folder {Folder}", folder);
        }
    }
}
