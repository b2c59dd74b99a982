using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Manifest;
using Ferry.Runtime.Images;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Instances;

/// <summary>
/// An instance of an event function: a runtime loop (ours for Node/Python, the app's own <c>bootstrap</c> for
/// <c>provided</c>) that pulls invocations from the Lambda Runtime API Ferry serves for it. One request at a time.
/// </summary>
public sealed class EventFunctionInstance : FunctionInstance
{
    /// <summary>
    /// The invocation waiting for the runtime's <c>/next</c> call. A runtime that is already asking gets it on the
    /// invoking thread, without a hop to the thread pool (the Runtime API's answer to <c>/next</c> only writes it out).
    /// </summary>
    private readonly Channel<PendingInvocation> _next = Channel.CreateBounded<PendingInvocation>(new BoundedChannelOptions(1) { AllowSynchronousContinuations = true });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PendingInvocation? _current;

    public EventFunctionInstance(FunctionRevision function, InstanceServices services) : base(function, services)
    {
        Token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>An instance that starts by taking over <paramref name="stemCell"/> (and keeps its id and Runtime API token).</summary>
    public EventFunctionInstance(FunctionRevision function, InstanceServices services, StemCell stemCell) : base(function, services, stemCell)
    {
        Token = stemCell.Token;
    }

    /// <summary>The loopback port the Runtime API answers on inside a private network.</summary>
    internal const int RuntimeApiPortInSandbox = 9001;

    /// <summary>
    /// Ferry's own runtime loops in a private network connect to the Runtime API's UNIX socket (mounted into the
    /// sandbox for the forwarder behind <see cref="RuntimeApiPortInSandbox"/>) directly, named by this variable: the
    /// same API and paths, the caller still known by its process, and no forwarder copying every invocation twice.
    /// Official clients (aws-lambda-ric, a <c>provided</c> bootstrap) only take host:port and keep the forwarder.
    /// </summary>
    internal const string RuntimeApiSocketVariable = "FERRY_RUNTIME_API_SOCKET";

    public override int Capacity => 1;

    /// <summary>Secret part of this instance's Runtime API address; identifies the instance to the Runtime API host.</summary>
    internal string Token { get; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        Services.RuntimeApi.Register(this);
        var (runtimeApiAddress, bridges) = HasPrivateNetwork
            ? ($"127.0.0.1:{RuntimeApiPortInSandbox}",
               new SandboxBridges { HostServices = [new HostServiceBridge(RuntimeApiPortInSandbox, Services.RuntimeApi.SocketPath)] })
            : (Services.RuntimeApi.AddressFor(this), SandboxBridges.None);
        var environment = new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = runtimeApiAddress,
            ["_HANDLER"] = Function.Function.Handler ?? "",
            ["FERRY_OUTPUT_MARKERS"] = UsesOwnRuntimeLoop ? "1" : "0",
        };
        if (HasPrivateNetwork && UsesOwnRuntimeLoop)
        {
            environment[RuntimeApiSocketVariable] = BridgeLauncher.HostServiceSocket(RuntimeApiPortInSandbox);
        }

        if (await TryTakeOverStemCellAsync(cell => cell.BecomeAsync(Function, FunctionEnvironment(environment), cancellationToken)) is null)
        {
            var image = await ImageLaunchAsync(cancellationToken);
            await LaunchAsync(image?.Command ?? CommandFor(Function.Function), environment, bridges, cancellationToken, image);
        }

        _ = AnswerWhenExitedAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timedOut = Task.Delay(Services.Options.StartTimeout, Services.Time, timeout.Token);
        var first = await Task.WhenAny(_ready.Task, Exited, timedOut);
        await timeout.CancelAsync(); // drops the start timer
        if (first == _ready.Task)
        {
            await _ready.Task; // throws the init error, if that is how it completed
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (first == Exited)
        {
            var code = await Process.Exited;
            throw new InstanceStartException($"the function's runtime exited with code {code} before asking for its first event; see the function's logs");
        }

        throw new InstanceStartException(string.Create(CultureInfo.InvariantCulture,
            $"the function's runtime did not ask for an event within {Services.Options.StartTimeout.TotalSeconds:0} s of starting"));
    }

    /// <summary>Node and Python run Ferry's own runtime loop, which prints output markers; <c>provided</c> runtimes do not.</summary>
    private bool UsesOwnRuntimeLoop => !RuntimeCatalog.IsProvided(Function.Function.Runtime);

    /// <summary>
    /// For an image function, its unpacked image (unpacked now when the deploy did not already) and how it starts;
    /// null for functions that run from the app's files.
    /// </summary>
    private async Task<ImageLaunch?> ImageLaunchAsync(CancellationToken cancellationToken)
    {
        if (Function.Function.Image is not { } declared)
        {
            return null;
        }

        if (Services.Images is not { } images || !Services.Sandbox.SupportsRootFilesystem)
        {
            throw new InstanceStartException(
                $"the function runs the image {declared.Path}, which needs bubblewrap and umoci on the server; this server runs functions {Services.Sandbox.Description}");
        }

        try
        {
            var unpacked = await images.EnsureUnpackedAsync(ImageStore.ArchivePathIn(Function.CodeDirectory, declared.Path), cancellationToken);
            return ImageLaunch.For(unpacked, declared);
        }
        catch (ImageException ex)
        {
            throw new InstanceStartException($"the image {declared.Path} can't be run: {ex.Message}", ex);
        }
    }

    /// <summary>argv that runs this function's runtime loop inside the sandbox (image functions: see <see cref="ImageLaunch"/>).</summary>
    internal static IReadOnlyList<string> CommandFor(FunctionManifest function)
    {
        if (function.Image is not null)
        {
            throw new InstanceStartException("an image function runs its image's entry point, not a runtime loop of Ferry's");
        }

        if (RuntimeCatalog.IsNode(function.Runtime))
        {
            return ["node", $"{SandboxPaths.Runtime}/node/bootstrap.mjs"];
        }

        if (RuntimeCatalog.IsPython(function.Runtime))
        {
            return ["python3", "-u", $"{SandboxPaths.Runtime}/python/bootstrap.py"];
        }

        if (RuntimeCatalog.IsProvided(function.Runtime))
        {
            return [$"{SandboxPaths.Code}/bootstrap"];
        }

        throw new InstanceStartException($"runtime '{function.Runtime}' is not an event-function runtime");
    }

    /// <summary>What an invocation is answered with when the process ends first (the exit code is read afterwards).</summary>
    private static readonly InvocationAnswer ExitedFirst = new(InvocationStatus.Crash, ReadOnlyMemory<byte>.Empty, "Runtime.ExitError");

    /// <summary>What an invocation is answered with when its timeout passes first.</summary>
    private static readonly InvocationAnswer TimedOutFirst = new(InvocationStatus.Timeout, ReadOnlyMemory<byte>.Empty, "Sandbox.Timedout");

    /// <summary>
    /// The one timer of this instance: armed with the function's timeout for each invocation, disarmed when the answer
    /// comes (an instance serves one invocation at a time, so no timer is created per invocation).
    /// </summary>
    private ITimer? _invocationTimer;

    /// <summary>Answers the invocation in progress (if any) once the process has exited; started once per instance.</summary>
    private async Task AnswerWhenExitedAsync()
    {
        await Exited;
        Volatile.Read(ref _current)?.TryAnswer(ExitedFirst);
    }

    private void SetInvocationTimer(TimeSpan dueIn)
    {
        var timer = _invocationTimer ??= Services.Time.CreateTimer(
            static state => ((EventFunctionInstance)state!).OnInvocationTimeout(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            timer.Change(dueIn, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The instance is being stopped: its process's end answers the invocation.
        }
    }

    private long _armedAt;
    private TimeSpan _armedTimeout;

    private void OnInvocationTimeout()
    {
        if (Volatile.Read(ref _current) is not { } current)
        {
            return;
        }

        // A late tick of an earlier invocation's timer (or an early one) must not end this one: it re-arms for the rest.
        var remaining = _armedTimeout - Services.Time.GetElapsedTime(Interlocked.Read(ref _armedAt));
        if (remaining <= TimeSpan.Zero)
        {
            current.TryAnswer(TimedOutFirst);
        }
        else
        {
            SetInvocationTimer(remaining);
        }
    }

    /// <summary>
    /// Sends one event to the instance and waits for the answer, the function's timeout, or the process's end. With
    /// <paramref name="continueOnAnswerThread"/> the caller continues on the thread that answers (see <see cref="PendingInvocation"/>).
    /// </summary>
    public async Task<InvocationResult> InvokeAsync(string requestId, ReadOnlyMemory<byte> payload, bool coldStart, bool continueOnAnswerThread = false)
    {
        var timeout = TimeSpan.FromSeconds(Function.Function.Timeout);
        var start = Services.Time.GetUtcNow();
        var pending = new PendingInvocation(requestId, payload, start + timeout, Function.Arn, TraceIdFor(requestId, start), continueOnAnswerThread);

        AttributeOutputTo(requestId);
        var outputComplete = UsesOwnRuntimeLoop ? ExpectOutputMarkers(requestId) : null;
        DeferStartLine(requestId, $"START RequestId: {requestId} Version: {Function.RevisionNumber}");

        var started = Services.Time.GetTimestamp();
        _armedTimeout = timeout; // before the invocation is published, so a stale tick measures against this one
        Interlocked.Exchange(ref _armedAt, started);
        Volatile.Write(ref _current, pending);
        if (Exited.IsCompleted)
        {
            pending.TryAnswer(ExitedFirst);
        }

        SetInvocationTimer(timeout);
        await _next.Writer.WriteAsync(pending);
        var answer = await pending.Answer;
        SetInvocationTimer(Timeout.InfiniteTimeSpan);
        var duration = Services.Time.GetElapsedTime(started);

        string? error = null;
        if (ReferenceEquals(answer, ExitedFirst))
        {
            var code = await Process.Exited;
            error = $"Runtime exited with error: exit status {code}";
            answer = new InvocationAnswer(InvocationStatus.Crash, ErrorJson(error, "Runtime.ExitError"), "Runtime.ExitError");
        }
        else if (ReferenceEquals(answer, TimedOutFirst))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Task timed out after {timeout.TotalSeconds:F2} seconds");
            answer = new InvocationAnswer(InvocationStatus.Timeout, ErrorJson(error, "Sandbox.Timedout"), "Sandbox.Timedout");
            await KillAsync();
        }
        else if (answer.Status != InvocationStatus.Success)
        {
            error = ErrorSummary(answer);
        }

        Volatile.Write(ref _current, null);
        EnqueuePlatformWork(async () =>
        {
            ForgetOutputMarkers(requestId);
            await ReportAsync(requestId, start, duration, answer.Status, error, coldStart, writeLines: true);
        }, outputComplete);
        return new InvocationResult(requestId, answer.Status, answer.Payload, answer.ErrorType, duration, coldStart);
    }

    /// <summary>X-Ray's trace header of an invocation: <c>Root=1-{seconds:x8}-{24 hex digits of the request id};Sampled=0</c>.</summary>
    internal static string TraceIdFor(string requestId, DateTimeOffset start)
        => string.Create(50, (requestId, Seconds: (uint)start.ToUnixTimeSeconds()), static (span, state) =>
        {
            "Root=1-".AsSpan().CopyTo(span);
            state.Seconds.TryFormat(span[7..15], out _, "x8", CultureInfo.InvariantCulture);
            span[15] = '-';
            var digits = span.Slice(16, 24);
            var taken = 0;
            foreach (var c in state.requestId)
            {
                if (taken == digits.Length)
                {
                    break;
                }

                if (c != '-')
                {
                    digits[taken++] = c;
                }
            }

            digits[taken..].Fill('0');
            ";Sampled=0".AsSpan().CopyTo(span[40..]);
        });

    // ----- called by the Runtime API host -----

    internal async Task<PendingInvocation> NextAsync(CancellationToken cancellationToken)
    {
        _ready.TrySetResult();
        return await _next.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>
    /// Ferry's runtime loop wrote nothing to these streams during <paramref name="requestId"/> and so no output marker
    /// there (<see cref="RuntimeApi.RuntimeApiHost.FerrySilentHeader"/>); call before the answer.
    /// </summary>
    internal void NoOutputDuring(string requestId, bool stdout, bool stderr)
    {
        if (!UsesOwnRuntimeLoop || Volatile.Read(ref _current) is not { } current || current.RequestId != requestId)
        {
            return;
        }

        if (stdout)
        {
            OutputMarkerSkipped(requestId, stderr: false);
        }

        if (stderr)
        {
            OutputMarkerSkipped(requestId, stderr: true);
        }
    }

    internal bool TryAnswer(string requestId, InvocationAnswer answer)
    {
        var current = Volatile.Read(ref _current);
        return current is not null && current.RequestId == requestId && current.TryAnswer(answer);
    }

    internal void ReportInitError(ReadOnlyMemory<byte> payload, string? errorType)
    {
        var answer = new InvocationAnswer(InvocationStatus.Error, payload, errorType);
        var summary = ErrorSummary(answer);
        EnqueuePlatformWork(() => WritePlatformLineAsync(null, "INIT_REPORT Status: error " + summary).AsTask());
        _ready.TrySetException(new InstanceStartException($"the function failed to initialize: {summary}"));
    }

    protected override ValueTask OnDisposingAsync()
    {
        Services.RuntimeApi.Unregister(this);
        _invocationTimer?.Dispose();
        _next.Writer.TryComplete();
        _ready.TrySetException(new InstanceStartException("the instance was stopped"));
        _ = _ready.Task.Exception; // observed
        return ValueTask.CompletedTask;
    }

    internal static byte[] ErrorJson(string message, string type)
        => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["errorMessage"] = message, ["errorType"] = type });

    /// <summary>"Type: message" from an error body the runtime posted (which may not be JSON at all).</summary>
    internal static string ErrorSummary(InvocationAnswer answer)
    {
        string? message = null;
        string? type = answer.ErrorType;
        try
        {
            using var document = JsonDocument.Parse(answer.Payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (document.RootElement.TryGetProperty("errorMessage", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString();
                }

                if (document.RootElement.TryGetProperty("errorType", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    type = t.GetString();
                }
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(answer.Payload.Span[..Math.Min(answer.Payload.Length, 1024)]);
        }

        return $"{type ?? "Error"}: {message ?? "(no message)"}";
    }
}
