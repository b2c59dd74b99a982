using System.Globalization;
using System.Security.Cryptography;
using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// A sandboxed runtime loop started before any function is known: private network with the Runtime API bridge, an
/// empty code folder at /var/task, the interpreter and the loop's own modules loaded. It waits on a Ferry-specific
/// Runtime API call for its identity. A cold start takes it over (<see cref="BecomeAsync"/>): the revision's code
/// appears in its code folder, its cgroup gets the function's limits, and the answer to that call gives the loop the
/// function's whole environment, after which it loads the handler like any instance. A cell becomes one function
/// only, once: nothing of another function can ever have been in it.
/// </summary>
public sealed class StemCell : IAsyncDisposable
{
    /// <summary>
    /// Memory size a cell starts with: one full vCPU (see <see cref="CgroupLimits"/>), so that refills start quickly;
    /// the function's own limits replace it when the cell is taken.
    /// </summary>
    internal const int StartMemoryMb = 1769;

    private readonly TaskCompletionSource _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<StemCellIdentity> _identity = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RuntimeApiHost _runtimeApi;
    private StemCellProcess? _process;
    private FileStream? _launch;
    private int _disposed;
    private static int s_reportedMountFailure;

    private StemCell(StemCellFamily family, string codeDirectory, RuntimeApiHost runtimeApi)
    {
        Family = family;
        CodeDirectory = codeDirectory;
        _runtimeApi = runtimeApi;
        Id = FunctionInstance.NewId();
        Token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>The instance id the cell keeps when it becomes a function (its cgroup and log stream are named after it).</summary>
    public string Id { get; }

    public StemCellFamily Family { get; }

    /// <summary>Secret part of the cell's Runtime API address; the instance that takes the cell over keeps it.</summary>
    internal string Token { get; }

    /// <summary>Host folder bound read-only at /var/task: empty until the cell becomes a function.</summary>
    internal string CodeDirectory { get; }

    /// <summary>Whether <see cref="CodeDirectory"/> is a mount the revision's code is bound onto (else its files are linked in).</summary>
    internal bool CodeMounted { get; private set; }

    internal StemCellProcess Process => _process ?? throw new InvalidOperationException("The stem cell has not been started.");

    /// <summary>A web cell's published port: its forwarder listens from the start, in the cell's own run folder.</summary>
    internal PublishedPort? Published { get; private set; }

    /// <summary>Whether the process runs and waits for its identity.</summary>
    public bool IsWaiting => _asked.Task.IsCompleted && _process is { } process && !process.Exited.IsCompleted && !_identity.Task.IsCompleted;

    /// <summary>The environment a cell's process starts with.</summary>
    internal static Dictionary<string, string> StartEnvironment(string token)
    {
        var environment = FunctionInstance.RuntimeEnvironment();
        environment["AWS_LAMBDA_RUNTIME_API"] = $"127.0.0.1:{EventFunctionInstance.RuntimeApiPortInSandbox}{RuntimeApiHost.PathPrefixFor(token)}";
        environment[EventFunctionInstance.RuntimeApiSocketVariable] = BridgeLauncher.HostServiceSocket(EventFunctionInstance.RuntimeApiPortInSandbox);
        environment["FERRY_OUTPUT_MARKERS"] = "1";
        environment["FERRY_STEM_CELL"] = "1";
        return environment;
    }

    /// <summary>
    /// Starts a cell and returns once it waits to become a function: an event cell's loop has asked for its identity,
    /// a web cell's forwarder listens and its shell waits on the launch FIFO (<see cref="WebCellLaunch"/>).
    /// </summary>
    /// <param name="codeDirectory">A folder that does not exist yet; the cell creates it and removes it at its end.</param>
    /// <param name="sharedServices">Bridges every cell gets besides the Runtime API's (see <see cref="StemCellPool.Start"/>).</param>
    /// <exception cref="StemCellStartException">The cell did not start or did not get to wait in time.</exception>
    internal static async Task<StemCell> StartAsync(StemCellFamily family, string codeDirectory, ISandbox sandbox, RuntimeApiHost runtimeApi,
        RuntimeOptions options, IReadOnlyList<HostServiceBridge> sharedServices, ILogger logger, CancellationToken cancellationToken)
    {
        var cell = new StemCell(family, codeDirectory, runtimeApi);
        string? runDirectory = null;
        try
        {
            cell.PrepareCodeFolder(options, logger);
            SandboxSpec spec;
            if (family.IsWeb)
            {
                // In the temp folder, not beside the code folder: a UNIX socket's path has at most 108 bytes, and the data
                // folder (where the cells' code folders are) may be deep.
                runDirectory = Directory.CreateTempSubdirectory("ferry-cell-").FullName;
                spec = cell.WebSpec(runDirectory, options, sharedServices);
            }
            else
            {
                runtimeApi.RegisterStemCell(cell);
                spec = cell.EventSpec(options, sharedServices);
            }

            ISandboxedProcess process;
            try
            {
                process = await sandbox.StartAsync(spec, cancellationToken);
            }
            catch (SandboxStartException ex)
            {
                throw new StemCellStartException($"could not start the sandbox: {ex.Message}", ex);
            }

            cell._process = new StemCellProcess(process, codeDirectory, logger, runDirectory, cell._launch);
            await cell.WaitUntilWaitingAsync(process, options.StartTimeout, cancellationToken);
            return cell;
        }
        catch
        {
            if (cell._process is null)
            {
                // Otherwise the process owns these.
                cell._launch?.Dispose();
                DeleteRunDirectory(runDirectory);
            }

            await cell.DisposeAsync();
            throw;
        }
    }

    /// <summary>An event cell: the family's runtime loop, which asks the Runtime API (bridged in) for its identity.</summary>
    private SandboxSpec EventSpec(RuntimeOptions options, IReadOnlyList<HostServiceBridge> sharedServices) => new()
    {
        InstanceId = Id,
        CodeDirectory = CodeDirectory,
        RuntimeDirectory = options.RuntimeDirectory,
        Command = Family.Command,
        Environment = StartEnvironment(Token),
        MemoryMb = StartMemoryMb,
        AllowOutboundNetwork = false,
        Bridges = new SandboxBridges
        {
            HostServices = [new HostServiceBridge(EventFunctionInstance.RuntimeApiPortInSandbox, _runtimeApi.SocketPath), .. sharedServices],
        },
    };

    /// <summary>A web cell: a shell waiting on the launch FIFO in <paramref name="runDirectory"/>, its port published at once.</summary>
    private SandboxSpec WebSpec(string runDirectory, RuntimeOptions options, IReadOnlyList<HostServiceBridge> sharedServices)
    {
        var fifo = Path.Combine(runDirectory, WebCellLaunch.FifoName);
        WebCellLaunch.CreateFifo(fifo);
        _launch = WebCellLaunch.Open(fifo);
        Published = new PublishedPort(WebFunctionInstance.PortInSandbox, Path.Combine(runDirectory, "http.sock"), ReadyFromHost: true);
        return new SandboxSpec
        {
            InstanceId = Id,
            CodeDirectory = CodeDirectory,
            RuntimeDirectory = options.RuntimeDirectory,
            Command = StemCellFamily.Web.Command,
            Environment = FunctionInstance.RuntimeEnvironment(),
            MemoryMb = StartMemoryMb,
            AllowOutboundNetwork = false,
            Bridges = new SandboxBridges { HostServices = [.. sharedServices], PublishedPort = Published },
        };
    }

    /// <summary>
    /// Waits until an event cell's loop asks for its identity, or until a web cell's forwarder listens (read from the
    /// host in the sandbox's socket table, every 5 ms).
    /// </summary>
    private async Task WaitUntilWaitingAsync(ISandboxedProcess process, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        var (what, until, late) = Family.IsWeb
            ? ("the web cell's sandbox", "its forwarder listened", "the web cell's forwarder did not listen")
            : ($"the {Family} runtime loop", "asking for its identity", $"the {Family} runtime loop did not ask for its identity");
        var socketInSandbox = Published is { } published ? BridgeLauncher.PublishedSocket(published) : null;
        var poll = socketInSandbox is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(5);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        int? member = null;
        try
        {
            while (true)
            {
                if (process.Exited.IsCompleted)
                {
                    var output = string.Join(" | ", await DrainOutputAsync(process));
                    var exitCode = await process.Exited;
                    throw new StemCellStartException(string.Create(CultureInfo.InvariantCulture,
                        $"{what} exited with code {exitCode} before {until}: {output}"));
                }

                if (socketInSandbox is not null)
                {
                    member ??= SandboxListeners.NamespaceMember(process.Pid);
                    if (member is { } pid && SandboxListeners.UnixListening(pid, socketInSandbox))
                    {
                        _asked.TrySetResult();
                        return;
                    }
                }
                else if (_asked.Task.IsCompleted)
                {
                    return;
                }

                await Task.WhenAny(_asked.Task, process.Exited, Task.Delay(poll, timeout.Token));
                timeout.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StemCellStartException(string.Create(CultureInfo.InvariantCulture,
                $"{late} within {startTimeout.TotalSeconds:0} s"));
        }
    }

    private static void DeleteRunDirectory(string? runDirectory)
    {
        if (runDirectory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(runDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Never filled, or already gone.
        }
    }

    /// <summary>
    /// Turns a web cell into an instance of <paramref name="function"/> running <paramref name="command"/> with exactly
    /// <paramref name="environment"/>, and hands over its process. The app's start is not awaited: the instance waits
    /// until its port listens.
    /// </summary>
    /// <exception cref="StemCellUnusableException">See <see cref="BecomeAsync"/>.</exception>
    internal async Task<ISandboxedProcess> BecomeWebAsync(FunctionRevision function, IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var process = Process;
        var script = System.Text.Encoding.UTF8.GetBytes(WebCellLaunch.Script(command, environment));
        if (script.Length > WebCellLaunch.MaxScriptBytes)
        {
            throw new StemCellUnusableException("the command and environment are larger than a web cell's launch script may be");
        }

        await FillAndResizeAsync(function, process, cancellationToken);
        if (process.Exited.IsCompleted || _launch is null)
        {
            throw new StemCellUnusableException("the stem cell was gone before it received its command");
        }

        _identity.TrySetResult(new StemCellIdentity(environment));
        try
        {
            // Fits the pipe's buffer (see MaxScriptBytes), so the write never waits for the shell.
            await _launch.WriteAsync(script, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new StemCellUnusableException($"could not send the web cell its command: {ex.Message}", ex);
        }

        return process;
    }

    /// <summary>
    /// Creates the cell's code folder, as a mount the revision's code can later be bound onto when the server may mount
    /// (<see cref="CodeFolderMount"/>), else as a plain folder to fill with hard links.
    /// </summary>
    private void PrepareCodeFolder(RuntimeOptions options, ILogger logger)
    {
        if (!options.StemCellCodeMounts)
        {
            Directory.CreateDirectory(CodeDirectory);
            return;
        }

        CodeMounted = CodeFolderMount.TryPrepare(CodeDirectory, out var failure);
        if (!CodeMounted && Interlocked.Exchange(ref s_reportedMountFailure, 1) == 0)
        {
            logger.LogInformation("Stem cells get their code as hard links, one per file ({Reason})", failure);
        }
    }

    private async Task FillAndResizeAsync(FunctionRevision function, StemCellProcess process, CancellationToken cancellationToken)
    {
        try
        {
            if (!CodeMounted || !TryAttachCode(function.CodeDirectory))
            {
                await Task.Run(() => CodeFolderFill.Fill(function.CodeDirectory, CodeDirectory, cancellationToken), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StemCellUnusableException($"could not put the code into the stem cell's code folder: {ex.Message}", ex);
        }

        if (process.Cgroup is { } cgroup)
        {
            var failures = CgroupResize.Apply(cgroup, CgroupLimits.ForMemory(function.Function.MemorySize, Environment.ProcessorCount));
            if (failures.Count > 0)
            {
                throw new StemCellUnusableException($"could not give the stem cell the function's limits: {string.Join("; ", failures)}");
            }
        }
    }

    /// <summary>Binds the revision's code onto the cell's code folder; false (the caller links the files) when refused.</summary>
    private bool TryAttachCode(string source)
    {
        try
        {
            CodeFolderMount.Attach(source, CodeDirectory);
            return true;
        }
        catch (IOException ex)
        {
            Process.Log.LogWarning(ex, "Stem cell {CellId}: could not mount the code; linking its files instead", Id);
            return false;
        }
    }

    /// <summary>
    /// A cell around a process that was started by other means and already waits for its identity (tests of the pool's
    /// sizing use fake processes; nothing in them can become a function).
    /// </summary>
    internal static StemCell Waiting(StemCellFamily family, string codeDirectory, RuntimeApiHost runtimeApi, ISandboxedProcess process, ILogger logger)
    {
        var cell = new StemCell(family, codeDirectory, runtimeApi);
        cell._process = new StemCellProcess(process, codeDirectory, logger);
        cell._asked.TrySetResult();
        return cell;
    }

    /// <summary>
    /// Turns the cell into an instance of <paramref name="function"/> whose process has <paramref name="environment"/>,
    /// and hands over its process (which then belongs to the caller). The handler's loading is not awaited.
    /// </summary>
    /// <exception cref="StemCellUnusableException">The cell cannot become the function (it died, its code folder could not be filled, its cgroup refused the limits); dispose it.</exception>
    internal async Task<ISandboxedProcess> BecomeAsync(FunctionRevision function, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var process = Process;
        await FillAndResizeAsync(function, process, cancellationToken);
        _identity.TrySetResult(new StemCellIdentity(environment));
        var first = await Task.WhenAny(_delivered.Task, process.Exited).WaitAsync(cancellationToken);
        if (first != _delivered.Task || !await _delivered.Task)
        {
            throw new StemCellUnusableException("the stem cell was gone before it received its identity");
        }

        return process;
    }

    // ----- called by the Runtime API host while the cell's loop waits -----

    /// <summary>The identity, once the cell is taken; throws <see cref="OperationCanceledException"/> when it never will be.</summary>
    internal Task<StemCellIdentity> WaitForIdentityAsync(CancellationToken requestAborted)
    {
        _asked.TrySetResult();
        return _identity.Task.WaitAsync(requestAborted);
    }

    /// <summary>Whether the identity reached the cell's loop (false: its request was gone).</summary>
    internal void ReportDelivery(bool delivered) => _delivered.TrySetResult(delivered);

    /// <summary>Stops the cell (unless it became a function, whose instance then owns the process).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _runtimeApi.UnregisterStemCell(this);
        _identity.TrySetCanceled();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        else
        {
            TryDeleteFolder();
        }
    }

    private void TryDeleteFolder()
    {
        if (CodeMounted)
        {
            CodeFolderMount.Detach(CodeDirectory);
        }

        try
        {
            Directory.Delete(CodeDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Never created, or already gone.
        }
    }

    private static async Task<IReadOnlyList<string>> DrainOutputAsync(ISandboxedProcess process)
    {
        var lines = new List<string>();
        while (lines.Count < 20 && await process.Output.WaitToReadAsync())
        {
            while (lines.Count < 20 && process.Output.TryRead(out var line))
            {
                lines.Add(line.Text);
            }
        }

        return lines;
    }

    public override string ToString() => $"stem cell {Id} ({Family})";
}

/// <summary>What a stem cell's loop receives when it is taken: the function's whole environment (handler included).</summary>
internal sealed record StemCellIdentity(IReadOnlyDictionary<string, string> Environment);

public sealed class StemCellStartException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class StemCellUnusableException(string message, Exception? inner = null) : Exception(message, inner);
