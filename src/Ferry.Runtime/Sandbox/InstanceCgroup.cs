using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// The cgroup of one sandbox: one folder per v1 hierarchy, or one folder in the unified hierarchy.
/// Everything the sandbox starts lives in it, so it is also how the whole sandbox is measured and killed.
/// </summary>
internal sealed class InstanceCgroup
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan PeakSamplingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Safety net for processes that will not die (e.g. stuck in uninterruptible I/O).</summary>
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    private readonly CgroupVersion _version;
    private readonly string? _memoryDirectory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource? _peakSampling;
    private readonly Task? _peakSamplingLoop;
    private long _peakMemoryBytes = -1;
    private int _removed;

    public InstanceCgroup(CgroupVersion version, IReadOnlyList<string> directories, string? memoryDirectory, ILogger logger)
    {
        _version = version;
        Directories = directories;
        _memoryDirectory = memoryDirectory;
        _logger = logger;

        // Kernels before 5.19 have no memory.peak in v2: sample memory.current instead.
        if (version == CgroupVersion.V2 && memoryDirectory is not null && !File.Exists(Path.Combine(memoryDirectory, "memory.peak")))
        {
            _peakSampling = new CancellationTokenSource();
            _peakSamplingLoop = SamplePeakAsync(_peakSampling.Token);
        }
    }

    /// <summary>The host folders of this cgroup (one per v1 hierarchy).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>The cgroup.procs files a process writes its pid to, to join this cgroup.</summary>
    public IReadOnlyList<string> ProcsFiles => Directories.Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    /// <summary>Peak memory of everything in the cgroup; null without a memory controller.</summary>
    public long? PeakMemoryBytes()
    {
        if (_memoryDirectory is null)
        {
            return null;
        }

        if (Volatile.Read(ref _removed) == 0)
        {
            RecordPeak(ReadPeak());
        }

        var peak = Interlocked.Read(ref _peakMemoryBytes);
        return peak >= 0 ? peak : null;
    }

    /// <summary>The kernel's default CPU weights: <c>cpu.shares</c> in v1, <c>cpu.weight</c> in v2.</summary>
    internal const int DefaultShares = 1024, DefaultWeight = 100;

    /// <summary>How much smaller a <see cref="CpuPriority.Background"/> weight is than the default.</summary>
    internal const int BackgroundDivisor = 32;

    /// <summary>
    /// Writes the CPU weight of <paramref name="priority"/> into whichever of <c>cpu.shares</c> / <c>cpu.weight</c> the
    /// cgroup has; a cgroup without a CPU controller, or one already removed, is left alone. Never throws: a weight is
    /// a preference, and a refused write is logged.
    /// </summary>
    public void SetCpuPriority(CpuPriority priority)
    {
        if (Volatile.Read(ref _removed) != 0)
        {
            return;
        }

        var (file, normal) = _version == CgroupVersion.V1 ? ("cpu.shares", DefaultShares) : ("cpu.weight", DefaultWeight);
        var value = priority == CpuPriority.Background ? normal / BackgroundDivisor : normal;
        foreach (var directory in Directories)
        {
            var path = Path.Combine(directory, file);
            if (File.Exists(path) && CgroupFiles.TryWrite(path, value.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } failure)
            {
                _logger.LogWarning("Could not set the CPU weight of {Cgroup}: {Failure}", directory, failure);
            }
        }
    }

    /// <summary>SIGKILLs every process in the cgroup until it is empty.</summary>
    public async Task KillAllAsync()
    {
        if (_version == CgroupVersion.V2)
        {
            var killFile = Path.Combine(Directories[0], "cgroup.kill");
            if (File.Exists(killFile))
            {
                _ = CgroupFiles.TryWrite(killFile, "1");
            }
        }

        // Without cgroup.kill (v1, kernels before 5.14) processes may fork while we kill: repeat until empty.
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var pids = Directories.SelectMany(d => CgroupFiles.ReadPids(Path.Combine(d, "cgroup.procs"))).Distinct().ToList();
            if (pids.Count == 0)
            {
                return;
            }

            foreach (var pid in pids)
            {
                NativeSignals.Kill(pid);
            }

            if (elapsed.Elapsed > KillTimeout)
            {
                _logger.LogWarning("Processes {Pids} in cgroup {Cgroup} survived SIGKILL for {Timeout}", pids, Directories[0], KillTimeout);
                return;
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Kills what is left and removes the folders. Safe to call more than once.</summary>
    public async Task RemoveAsync()
    {
        if (_memoryDirectory is not null && Volatile.Read(ref _removed) == 0)
        {
            RecordPeak(ReadPeak());
        }

        if (Interlocked.Exchange(ref _removed, 1) == 1)
        {
            return;
        }

        if (_peakSampling is not null)
        {
            await _peakSampling.CancelAsync();
            await _peakSamplingLoop!;
            _peakSampling.Dispose();
        }

        await KillAllAsync();
        foreach (var directory in Directories)
        {
            await RemoveDirectoryAsync(directory);
        }
    }

    private async Task RemoveDirectoryAsync(string directory)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // rmdir(2): a cgroup folder goes away with its control files once no process is left in it.
                Directory.Delete(directory, recursive: false);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException ex) when (elapsed.Elapsed < KillTimeout)
            {
                _logger.LogDebug(ex, "cgroup {Cgroup} is still busy; retrying", directory);
                await Task.Delay(PollInterval);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Could not remove cgroup {Cgroup}", directory);
                return;
            }
        }
    }

    private long? ReadPeak()
    {
        var directory = _memoryDirectory!;
        return _version == CgroupVersion.V1
            ? CgroupFiles.TryReadInt64(Path.Combine(directory, "memory.max_usage_in_bytes"))
            : CgroupFiles.TryReadInt64(Path.Combine(directory, "memory.peak"))
              ?? CgroupFiles.TryReadInt64(Path.Combine(directory, "memory.current"));
    }

    private void RecordPeak(long? sample)
    {
        if (sample is not { } value)
        {
            return;
        }

        var current = Interlocked.Read(ref _peakMemoryBytes);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref _peakMemoryBytes, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private async Task SamplePeakAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PeakSamplingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                RecordPeak(ReadPeak());
            }
        }
        catch (OperationCanceledException)
        {
            // Removed.
        }
    }
}
