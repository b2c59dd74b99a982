using System.Globalization;
using System.Security.Cryptography;
using Ferry.Manifest;
using Ferry.Runtime.Images;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Instances;

/// <summary>
/// One running copy of a function revision: a sandboxed process plus the bookkeeping the pool needs. Its output is
/// captured line by line into the log pipeline, attributed to the request it is serving (or served last).
/// </summary>
public abstract class FunctionInstance : IAsyncDisposable
{
    private ISandboxedProcess? _process;
    private Task _outputPump = Task.CompletedTask;
    private volatile string? _currentRequestId;
    private int _disposed;
    private StemCell? _stemCell;

    protected FunctionInstance(FunctionRevision function, InstanceServices services) : this(function, services, NewId())
    {
    }

    /// <param name="id">The id of a process started before the instance (a stem cell): its cgroup is named after it.</param>
    protected FunctionInstance(FunctionRevision function, InstanceServices services, string id)
    {
        Function = function;
        Services = services;
        Id = id;
    }

    /// <summary>An instance that starts by taking over <paramref name="stemCell"/> (<see cref="TryTakeOverStemCellAsync"/>) and keeps its id.</summary>
    protected FunctionInstance(FunctionRevision function, InstanceServices services, StemCell stemCell)
        : this(function, services, stemCell.Id)
    {
        _stemCell = stemCell;
    }

    /// <summary>Whether the instance runs in a stem cell it took over (false also when taking it over failed).</summary>
    public bool FromStemCell { get; private set; }

    /// <summary>
    /// Takes over the stem cell this instance was given, if any: <paramref name="become"/> turns the cell into this
    /// function's process, which the instance then owns. Null when there was no cell or it turned out unusable (then it
    /// is stopped and the caller starts a sandbox of its own, so a cell's failure never fails a request).
    /// </summary>
    protected async Task<StemCell?> TryTakeOverStemCellAsync(Func<StemCell, Task<ISandboxedProcess>> become)
    {
        if (Interlocked.Exchange(ref _stemCell, null) is not { } cell)
        {
            return null;
        }

        try
        {
            var process = await become(cell);
            await AttachAsync(process, fromStemCell: true);
            FromStemCell = true;
            return cell;
        }
        catch (StemCellUnusableException ex)
        {
            Services.LoggerFactory.CreateLogger(GetType()).LogWarning(ex,
                "Stem cell {CellId} could not become {Function}; starting a new sandbox instead", cell.Id, Function.ToString());
            await cell.DisposeAsync();
            return null;
        }
        catch
        {
            await cell.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh instance id: "i-" and 12 hex digits.</summary>
    internal static string NewId() => "i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public FunctionRevision Function { get; }

    /// <summary>Unique id; names the cgroup and appears in logs.</summary>
    public string Id { get; }

    protected InstanceServices Services { get; }

    /// <summary>How many requests this instance serves at once.</summary>
    public abstract int Capacity { get; }

    /// <summary>Completes when the process has exited (crash, kill, or normal exit).</summary>
    public Task Exited => _process?.Exited ?? Task.CompletedTask;

    public bool IsAlive => _process is not null && !_process.Exited.IsCompleted && Volatile.Read(ref _disposed) == 0;

    /// <summary>Requests currently served; guarded by the owning pool's lock.</summary>
    internal int InFlight { get; set; }

    /// <summary>When the last request ended (or the instance became ready); guarded by the pool's lock.</summary>
    internal DateTimeOffset IdleSince { get; set; }

    /// <summary>Whether a request has been served yet: the first one is the cold start. Guarded by the pool's lock.</summary>
    internal bool HasServed { get; set; }

    private readonly Lock _priorityGate = new();
    private CpuPriority _cpuPriority = CpuPriority.Normal;

    /// <summary>
    /// The instance's sandbox shares contended cores at <paramref name="priority"/> (<see cref="CpuPriority"/>), from
    /// its start if it has not started yet. A redeploy's new instances start in the background while the revision they
    /// replace serves the traffic, and come to the foreground when their revision takes over.
    /// </summary>
    internal void SetCpuPriority(CpuPriority priority)
    {
        lock (_priorityGate)
        {
            if (_cpuPriority == priority)
            {
                return;
            }

            _cpuPriority = priority;
            _process?.SetCpuPriority(priority);
        }
    }

    /// <summary>Starts the process and returns once it is ready to serve, or throws <see cref="InstanceStartException"/>.</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    protected ISandboxedProcess Process => _process ?? throw new InvalidOperationException("The instance has not been started.");

    /// <summary>Host pid of the outermost process of the instance's sandbox, once it runs.</summary>
    internal int? SandboxPid => _process?.Pid;

    /// <summary>
    /// Whether this instance may open outbound connections (and so shares the host's network). Off: nothing in a
    /// function's manifest asks for it yet.
    /// </summary>
    protected bool AllowOutboundNetwork => Function.Function.OutboundNetwork;

    /// <summary>Whether the instance gets a network of its own, reached only through the <see cref="SandboxBridges"/> it is launched with.</summary>
    protected bool HasPrivateNetwork => Services.Sandbox.SupportsPrivateNetwork && !AllowOutboundNetwork;

    /// <param name="bridges">Links between a private network and the host; <see cref="SandboxBridges.None"/> without <see cref="HasPrivateNetwork"/>.</param>
    protected async Task LaunchAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> extraEnvironment, SandboxBridges bridges, CancellationToken cancellationToken,
        ImageLaunch? image = null)
    {
        var spec = new SandboxSpec
        {
            InstanceId = Id,
            Owner = Function.Tenant,
            CodeDirectory = Function.CodeDirectory,
            RuntimeDirectory = Services.Options.RuntimeDirectory,
            Command = command,
            Environment = FunctionEnvironment(extraEnvironment, image),
            RootFilesystem = image?.RootFilesystem,
            WorkingDirectory = image?.WorkingDirectory ?? SandboxPaths.Code,
            MemoryMb = Function.Function.MemorySize,
            AllowOutboundNetwork = AllowOutboundNetwork,
            Bridges = HasPrivateNetwork && Function.Resources.Services.Count > 0
                ? bridges with { HostServices = [.. bridges.HostServices, .. Function.Resources.Bridges()] }
                : bridges,
            Mounts = Function.Resources.Mounts,
        };

        ISandboxedProcess process;
        try
        {
            process = await Services.Sandbox.StartAsync(spec, cancellationToken);
        }
        catch (SandboxStartException ex)
        {
            throw new InstanceStartException($"could not start the sandbox: {ex.Message}", ex);
        }

        await AttachAsync(process, fromStemCell: false);
    }

    /// <summary>
    /// The whole environment of this function's process: Ferry's base variables, the app stage's resources, the
    /// function's own variables, then <paramref name="extraEnvironment"/> (each may override the ones before).
    /// </summary>
    /// <param name="image">An image function's image, whose Env goes right after Ferry's base variables.</param>
    protected Dictionary<string, string> FunctionEnvironment(IReadOnlyDictionary<string, string> extraEnvironment, ImageLaunch? image = null)
    {
        var environment = image is null ? BaseEnvironment() : image.ApplyEnvironment(BaseEnvironment());
        foreach (var (key, value) in Function.Resources.ResolveEnvironment(HasPrivateNetwork))
        {
            environment[key] = value;
        }

        foreach (var (key, value) in Function.Function.Environment)
        {
            // A queue URL (Ref of an AWS::SQS::Queue) names the endpoint's address with placeholders too.
            environment[key] = Function.Resources.ResolveValue(value, HasPrivateNetwork);
        }

        foreach (var (key, value) in extraEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>
    /// Makes <paramref name="process"/> this instance's process (started for it, or a stem cell it took over): from
    /// now on its output is this function's log.
    /// </summary>
    protected async Task AttachAsync(ISandboxedProcess process, bool fromStemCell)
    {
        lock (_priorityGate)
        {
            _process = process;
            if (_cpuPriority == CpuPriority.Background)
            {
                process.SetCpuPriority(CpuPriority.Background);
            }
        }

        // Before the output pump starts, so that INIT_START precedes whatever the handler prints while it loads.
        await WritePlatformLineAsync(null, $"INIT_START Runtime: {Function.Function.Runtime} Instance: {Id} Revision: {Function.RevisionNumber}"
            + (fromStemCell ? " StemCell: true" : ""));
        _outputPump = Task.Run(PumpOutputAsync, CancellationToken.None);
    }

    /// <summary>
    /// Variables every process gets that do not depend on the function (a stem cell starts with exactly these).
    /// </summary>
    internal static Dictionary<string, string> RuntimeEnvironment() => new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["HOME"] = SandboxPaths.Tmp,
        ["TMPDIR"] = SandboxPaths.Tmp,
        ["TZ"] = "UTC",
        ["LAMBDA_TASK_ROOT"] = SandboxPaths.Code,
        ["LAMBDA_RUNTIME_DIR"] = SandboxPaths.Runtime,
    };

    /// <summary>The environment every instance gets before the app's own variables (which may override them).</summary>
    private Dictionary<string, string> BaseEnvironment() => new(RuntimeEnvironment(), StringComparer.Ordinal)
    {
        ["AWS_REGION"] = Function.Region,
        ["AWS_DEFAULT_REGION"] = Function.Region,
        ["AWS_LAMBDA_FUNCTION_NAME"] = Function.QualifiedName,
        ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = Function.Function.MemorySize.ToString(CultureInfo.InvariantCulture),
        ["AWS_LAMBDA_FUNCTION_VERSION"] = Function.RevisionNumber.ToString(CultureInfo.InvariantCulture),
        ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + Function.QualifiedName,
        ["AWS_LAMBDA_LOG_STREAM_NAME"] = Id,
        ["FERRY_SERVICE"] = Function.Service,
        ["FERRY_STAGE"] = Function.Stage,
        ["FERRY_FUNCTION"] = Function.Name,
    };

    /// <summary>Sets the request id later output lines are attributed to (when no request awaits its output markers).</summary>
    protected void AttributeOutputTo(string? requestId) => _currentRequestId = requestId;

    /// <summary>
    /// Requests whose output markers have not yet been read, oldest first, per stream (stdout, stderr). A line belongs
    /// to the oldest of them on its stream: its position in the stream says whose it is, not the moment it is read. The
    /// answer to a request can reach the gateway, and the next request can start, before the pump has read the lines
    /// the handler printed for the first one; attributing by the time of reading gave them to the next request.
    /// </summary>
    private readonly List<string>[] _awaitingMarkers = [[], []];

    private string? OwnerOfLine(bool stderr)
    {
        lock (_awaitingMarkers)
        {
            var awaiting = _awaitingMarkers[stderr ? 1 : 0];
            return awaiting.Count > 0 ? awaiting[0] : _currentRequestId;
        }
    }

    /// <summary>A marker of <paramref name="requestId"/> was read on one stream: later lines there belong to the requests after it.</summary>
    private void MarkerRead(string requestId, bool stderr)
    {
        lock (_awaitingMarkers)
        {
            var awaiting = _awaitingMarkers[stderr ? 1 : 0];
            var index = awaiting.IndexOf(requestId);
            awaiting.RemoveRange(0, index + 1); // earlier requests whose marker never came (a closed stream) are done too
        }
    }

    private async Task PumpOutputAsync()
    {
        var reader = Process.Output;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var line))
            {
                if (line.Text.StartsWith(OutputMarkerPrefix, StringComparison.Ordinal))
                {
                    var flushed = line.Text[OutputMarkerPrefix.Length..];
                    MarkerRead(flushed, line.IsStderr);
                    OnOutputMarker(flushed);
                    continue;
                }

                Interlocked.Exchange(ref _lastOutputTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
                OnOutputLine();
                var owner = OwnerOfLine(line.IsStderr);
                if (owner is not null && TryTakeStartLine(owner, out var start))
                {
                    await Services.Logs.WriteAsync(Function, owner, Id, LogStream.Platform, start.Message, start.Time);
                }

                await Services.Logs.WriteAsync(Function, owner, Id, line.IsStderr ? LogStream.Stderr : LogStream.Stdout, line.Text, line.Time);
            }
        }
    }

    /// <summary>
    /// START lines of invocations that have printed nothing yet. The output pump writes one just before the first line
    /// its invocation printed; an invocation that printed nothing has it stored with its END and REPORT lines, in one
    /// row (<see cref="ReportAsync"/>): three rows per invocation were a fifth of the server's CPU per event invocation
    /// (bench/README.md, issue 12, step 20).
    /// </summary>
    private readonly Dictionary<string, DeferredLine> _pendingStartLines = new(StringComparer.Ordinal);

    /// <summary>How many lines <see cref="_pendingStartLines"/> holds, read without its lock (the pump asks for every line).</summary>
    private int _pendingStartCount;

    private readonly record struct DeferredLine(string Message, DateTimeOffset Time);

    /// <summary>Holds an invocation's START line until it prints something or ends (see <see cref="_pendingStartLines"/>).</summary>
    protected void DeferStartLine(string requestId, string message)
    {
        lock (_pendingStartLines)
        {
            _pendingStartLines[requestId] = new DeferredLine(message, Services.Time.GetUtcNow());
            Volatile.Write(ref _pendingStartCount, _pendingStartLines.Count);
        }
    }

    /// <summary>Takes the START line <paramref name="requestId"/> still holds back; false once it was written.</summary>
    private bool TryTakeStartLine(string requestId, out DeferredLine line)
    {
        line = default;
        if (Volatile.Read(ref _pendingStartCount) == 0)
        {
            return false;
        }

        lock (_pendingStartLines)
        {
            var taken = _pendingStartLines.Remove(requestId, out line);
            Volatile.Write(ref _pendingStartCount, _pendingStartLines.Count);
            return taken;
        }
    }

    /// <summary>Called by the output pump as each line the process printed is read (output markers excluded), before it is stored.</summary>
    protected virtual void OnOutputLine()
    {
    }

    /// <summary>
    /// Ferry's runtime loops print this line on stdout and on stderr just before posting a request's answer
    /// (FERRY_OUTPUT_MARKERS=1): once both arrived, every line the handler printed for the request has been read.
    /// The loops leave it off a stream the request printed nothing on (Node) or off both when the process wrote nothing
    /// at all (Python) and say so in the post instead (<see cref="OutputMarkerSkipped"/>): a marker costs the server a
    /// pipe read and a wake-up.
    /// </summary>
    internal const string OutputMarkerPrefix = "\u001eferry:flushed ";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, OutputMarkers> _markers = new(StringComparer.Ordinal);

    /// <summary>Completes when both output markers of <paramref name="requestId"/> were read (call before the request is sent).</summary>
    protected Task ExpectOutputMarkers(string requestId)
    {
        lock (_awaitingMarkers)
        {
            _awaitingMarkers[0].Add(requestId);
            _awaitingMarkers[1].Add(requestId);
        }

        return _markers.GetOrAdd(requestId, _ => new OutputMarkers()).AllRead;
    }

    /// <summary>
    /// The runtime printed nothing on one stream for <paramref name="requestId"/> and so writes no marker there: no line
    /// on it belongs to the request, and its END line need not wait for that stream. Unlike a marker read, this leaves
    /// earlier requests waiting for their markers alone: their lines may still be in the pipe.
    /// </summary>
    protected void OutputMarkerSkipped(string requestId, bool stderr)
    {
        if (!_markers.TryGetValue(requestId, out var markers))
        {
            return;
        }

        lock (_awaitingMarkers)
        {
            _awaitingMarkers[stderr ? 1 : 0].Remove(requestId);
        }

        if (markers.Count())
        {
            _markers.TryRemove(requestId, out _);
        }
    }

    private void OnOutputMarker(string requestId)
    {
        var markers = _markers.GetOrAdd(requestId, _ => new OutputMarkers());
        if (markers.Count())
        {
            _markers.TryRemove(requestId, out _);
        }
    }

    protected void ForgetOutputMarkers(string requestId)
    {
        _markers.TryRemove(requestId, out _);
        lock (_awaitingMarkers)
        {
            _awaitingMarkers[0].Remove(requestId);
            _awaitingMarkers[1].Remove(requestId);
        }
    }

    private sealed class OutputMarkers
    {
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _seen;

        public Task AllRead => _allRead.Task;

        /// <summary>Counts one marker; true once both (stdout and stderr) were seen.</summary>
        public bool Count() => Interlocked.Increment(ref _seen) >= 2 && _allRead.TrySetResult();
    }

    /// <summary>
    /// Runs platform-line writes one after another, off the request path, so a handler's output lands before its END
    /// line without delaying the answer itself. END/REPORT wait for <paramref name="outputComplete"/> (the runtime's
    /// output markers; bounded, and cut short when the process's output ends), or, for runtimes that print no markers,
    /// until the output has been quiet for a moment.
    /// </summary>
    protected void EnqueuePlatformWork(Func<Task> work, Task? outputComplete = null)
    {
        lock (_platformGate)
        {
            // No Task.Run, no timer and no chained task when nothing has to be waited for: END and REPORT when the
            // markers are already read go straight to the log pipeline (which never blocks here).
            var nothingToWaitFor = outputComplete is not null && (outputComplete.IsCompleted || _outputPump.IsCompleted);
            _platformChain = nothingToWaitFor && _platformChain.IsCompletedSuccessfully
                ? work()
                : RunPlatformWorkAsync(_platformChain, _outputPump, work, outputComplete);
        }
    }

    /// <summary>How long END/REPORT wait for a request's output markers.</summary>
    private static readonly TimeSpan OutputMarkerPatience = TimeSpan.FromSeconds(2);

    private async Task RunPlatformWorkAsync(Task previous, Task pump, Func<Task> work, Task? outputComplete)
    {
        await previous;
        if (outputComplete is null)
        {
            await WaitForQuietOutputAsync();
        }
        else if (!outputComplete.IsCompleted && !pump.IsCompleted)
        {
            // Platform work runs one item at a time, so one timer per instance bounds every wait. When the markers
            // do not come (a handler that closed stdout, a very busy machine) the lines are written anyway.
            var patience = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _markerPatience, patience);
            SetMarkerTimer(OutputMarkerPatience);
            await Task.WhenAny(outputComplete, pump, patience.Task);
            SetMarkerTimer(Timeout.InfiniteTimeSpan);
        }

        await work();
    }

    private ITimer? _markerTimer;
    private TaskCompletionSource? _markerPatience;

    private void SetMarkerTimer(TimeSpan dueIn)
    {
        var timer = _markerTimer ??= Services.Time.CreateTimer(
            static state => Volatile.Read(ref ((FunctionInstance)state!)._markerPatience)?.TrySetResult(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            timer.Change(dueIn, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            Volatile.Read(ref _markerPatience)?.TrySetResult(); // stopped: nothing more to wait for
        }
    }

    private readonly Lock _platformGate = new();
    private Task _platformChain = Task.CompletedTask;
    private long _lastOutputTimestamp;

    private async Task WaitForQuietOutputAsync()
    {
        var quiet = TimeSpan.FromMilliseconds(3);
        var giveUpAt = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 4; // 250 ms on a busy machine
        while (System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastOutputTimestamp)) < quiet
               && System.Diagnostics.Stopwatch.GetTimestamp() < giveUpAt)
        {
            await Task.Delay(2);
        }
    }

    protected ValueTask WritePlatformLineAsync(string? requestId, string message)
        => Services.Logs.WriteAsync(Function, requestId, Id, LogStream.Platform, message, Services.Time.GetUtcNow());

    /// <summary>
    /// How often a busy instance's peak memory is read from its cgroup: a file read per request cost the gateway
    /// 5–7 % of its CPU. The peak is the instance's (the cgroup's) since it started, so a record may show the peak as
    /// of up to this long ago; billing does not depend on it (GB-seconds use the configured memory size).
    /// </summary>
    internal static readonly TimeSpan MemorySampleInterval = TimeSpan.FromMilliseconds(250);

    private long _memorySampledAt;
    private int _peakMemoryMb = -1;

    /// <summary>Peak memory of the instance in MB (rounded up), read from the cgroup at most once per <see cref="MemorySampleInterval"/>; null without a memory controller.</summary>
    private int? PeakMemoryMb()
    {
        var known = Volatile.Read(ref _peakMemoryMb);
        var now = Services.Time.GetTimestamp();
        if (known < 0 || Services.Time.GetElapsedTime(Interlocked.Read(ref _memorySampledAt), now) >= MemorySampleInterval)
        {
            // Concurrent requests may both read at the turn of an interval: harmless, the peak only grows.
            Interlocked.Exchange(ref _memorySampledAt, now);
            if (_process?.PeakMemoryBytes() is { } peak)
            {
                known = Math.Max(known, (int)Math.Ceiling(peak / (1024.0 * 1024.0)));
                Volatile.Write(ref _peakMemoryMb, known);
            }
        }

        return known < 0 ? null : known;
    }

    /// <summary>
    /// The metering record of one finished request and, with <paramref name="writeLines"/>, its END and REPORT lines
    /// (after a crash or timeout the error line before them, and the START line if the request printed nothing), as
    /// one log row.
    /// </summary>
    protected async Task ReportAsync(string requestId, DateTimeOffset start, TimeSpan duration, InvocationStatus status, string? error, bool coldStart, bool writeLines)
    {
        var durationMs = duration.TotalMilliseconds;
        var billedMs = BilledDuration.Milliseconds(duration);
        var maxMemoryMb = PeakMemoryMb();

        if (writeLines)
        {
            var lines = new List<string>(4);
            if (TryTakeStartLine(requestId, out var startLine))
            {
                lines.Add(startLine.Message); // it printed nothing: START joins END and REPORT
            }

            if (error is not null && status is InvocationStatus.Crash or InvocationStatus.Timeout)
            {
                lines.Add($"{requestId} {error}");
            }

            lines.Add($"END RequestId: {requestId}");
            var report = string.Create(CultureInfo.InvariantCulture,
                $"REPORT RequestId: {requestId}\tDuration: {durationMs:F2} ms\tBilled Duration: {billedMs} ms\tMemory Size: {Function.Function.MemorySize} MB\tMax Memory Used: {(maxMemoryMb is null ? "n/a" : maxMemoryMb + " MB")}");
            if (coldStart)
            {
                report += "\tCold Start: true";
            }

            if (status != InvocationStatus.Success)
            {
                report += "\tStatus: " + status;
            }

            lines.Add(report);
            await Services.Logs.WritePlatformLinesAsync(Function, requestId, Id, lines, Services.Time.GetUtcNow());
        }

        Services.Invocations.Record(new InvocationRecord(
            requestId, Function.Tenant, Function.AppStageId, Function.RevisionId, Function.Name, start,
            durationMs, billedMs, Function.Function.MemorySize, maxMemoryMb, status, coldStart, error));
    }

    /// <summary>Stops the process (and everything it started) now.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await OnDisposingAsync();
        if (Interlocked.Exchange(ref _stemCell, null) is { } cell)
        {
            await cell.DisposeAsync(); // stopped before it started
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
            await _outputPump;
        }

        Task chain;
        lock (_platformGate)
        {
            chain = _platformChain;
        }

        await chain;
        _markerTimer?.Dispose();

        GC.SuppressFinalize(this);
    }

    protected virtual ValueTask OnDisposingAsync() => ValueTask.CompletedTask;

    public override string ToString() => $"{Function} {Id}";
}

/// <summary>Billing granularity: like Lambda, rounded up to the next millisecond, at least 1 ms.</summary>
public static class BilledDuration
{
    public static long Milliseconds(TimeSpan duration) => Math.Max(1, (long)Math.Ceiling(duration.TotalMilliseconds));
}
