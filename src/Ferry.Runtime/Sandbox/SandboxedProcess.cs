using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>A started sandbox: its outermost host process, its output and its cgroup.</summary>
internal sealed class SandboxedProcess : ISandboxedProcess
{
    /// <summary>
    /// Lines buffered for a slow reader; beyond this the process blocks on its pipe (back-pressure, not memory growth).
    /// </summary>
    private const int OutputCapacity = 10_000;

    /// <summary>How long a process that escaped the cgroup may keep our pipes open after the sandbox exited.</summary>
    private static readonly TimeSpan OrphanedPipeGrace = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly Func<ValueTask>? _cleanup;
    private readonly ILogger _logger;
    private readonly Channel<OutputLine> _output;
    private readonly CancellationTokenSource _pumpCancellation = new();
    private readonly Lazy<Task> _kill;
    private int _disposed;

    /// <param name="process">Started, with stdout and stderr redirected.</param>
    /// <param name="cleanup">Runs last on dispose (e.g. deletes a temp folder).</param>
    public SandboxedProcess(Process process, InstanceCgroup? cgroup, ILogger logger, Func<ValueTask>? cleanup)
    {
        _process = process;
        Cgroup = cgroup;
        _logger = logger;
        _cleanup = cleanup;
        Pid = process.Id;
        _output = Channel.CreateBounded<OutputLine>(new BoundedChannelOptions(OutputCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
        _kill = new Lazy<Task>(KillCoreAsync);

        var stdout = PumpAsync(process.StandardOutput.BaseStream, isStderr: false);
        var stderr = PumpAsync(process.StandardError.BaseStream, isStderr: true);
        Exited = WaitForExitAsync(stdout, stderr);
    }

    public int Pid { get; }

    public ChannelReader<OutputLine> Output => _output.Reader;

    public Task<int> Exited { get; }

    /// <summary>The sandbox's cgroup, null when it runs without one.</summary>
    internal InstanceCgroup? Cgroup { get; }

    public long? PeakMemoryBytes() => Cgroup?.PeakMemoryBytes();

    public void SetCpuPriority(CpuPriority priority) => Cgroup?.SetCpuPriority(priority);

    public Task KillAsync() => _kill.Value;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await KillAsync();
        if (Cgroup is not null)
        {
            await Cgroup.RemoveAsync();
        }

        if (_cleanup is not null)
        {
            await _cleanup();
        }

        _process.Dispose();
        _pumpCancellation.Dispose();
    }

    private async Task KillCoreAsync()
    {
        // The cgroup first: it also catches grandchildren that were re-parented away from our process tree.
        if (Cgroup is not null)
        {
            await Cgroup.KillAllAsync();
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Exception ex) when (ex is AggregateException or System.ComponentModel.Win32Exception)
        {
            _logger.LogWarning(ex, "Could not kill every process of sandbox process {Pid}", Pid);
        }

        try
        {
            await Exited;
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Sandbox process {Pid} ended with an error while being killed", Pid);
        }
    }

    private async Task<int> WaitForExitAsync(Task stdout, Task stderr)
    {
        await _process.WaitForExitAsync();

        // The sandbox ends with its outermost process: nothing it left behind may run on (or hold our pipes open).
        if (Cgroup is not null)
        {
            await Cgroup.KillAllAsync();
        }

        _pumpCancellation.CancelAfter(OrphanedPipeGrace);
        await Task.WhenAll(stdout, stderr);
        _output.Writer.TryComplete();
        return _process.ExitCode;
    }

    private async Task PumpAsync(Stream stream, bool isStderr)
    {
        await Task.Yield();
        try
        {
            await OutputLineReader.PumpAsync(stream, isStderr, _output.Writer, TimeProvider.System, _pumpCancellation.Token);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _logger.LogWarning(ex, "Reading the {Stream} of sandbox process {Pid} failed", isStderr ? "stderr" : "stdout", Pid);
        }
    }
}
