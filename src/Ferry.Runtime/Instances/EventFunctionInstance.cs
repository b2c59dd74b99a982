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
    private readonly Channel<PendingInvocation> _next = Channel.CreateBounded<PendingInvocation>(1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PendingInvocation? _current;
    private StemCell? _stemCell;

    public EventFunctionInstance(FunctionRevision function, InstanceServices services) : base(function, services)
    {
        Token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>An instance that starts by taking over <paramref name="stemCell"/> (and keeps its id and Runtime API token).</summary>
    public EventFunctionInstance(FunctionRevision function, InstanceServices services, StemCell stemCell) : base(function, services, stemCell.Id)
    {
        Token = stemCell.Token;
        _stemCell = stemCell;
    }

    /// <summary>Whether the instance runs in a stem cell it took over (false also when taking it over failed).</summary>
    public bool FromStemCell { get; private set; }

    /// <summary>The loopback port the Runtime API answers on inside a private network.</summary>
    internal const int RuntimeApiPortInSandbox = 9001;

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

        if (!await TryTakeOverStemCellAsync(environment, cancellationToken))
        {
            var image = await ImageLaunchAsync(cancellationToken);
            await LaunchAsync(image?.Command ?? CommandFor(Function.Function), environment, bridges, cancellationToken, image);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Services.Options.StartTimeout);
        var timedOut = Task.Delay(Timeout.Infinite, timeout.Token);
        var first = await Task.WhenAny(_ready.Task, Exited, timedOut);
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

    /// <summary>
    /// Makes the stem cell this instance was given (if any) this function's process. False when there is none or it
    /// turned out unusable (e.g. it died just now): the caller then starts a process of its own, so a cell's failure
    /// never fails a request.
    /// </summary>
    private async Task<bool> TryTakeOverStemCellAsync(IReadOnlyDictionary<string, string> extraEnvironment, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stemCell, null) is not { } cell)
        {
            return false;
        }

        try
        {
            var process = await cell.BecomeAsync(Function, FunctionEnvironment(extraEnvironment), cancellationToken);
            await AttachAsync(process, fromStemCell: true);
            FromStemCell = true;
            return true;
        }
        catch (StemCellUnusableException ex)
        {
            Services.LoggerFactory.CreateLogger<EventFunctionInstance>().LogWarning(ex,
                "Stem cell {CellId} could not become {Function}; starting a new process instead", cell.Id, Function.ToString());
            await cell.DisposeAsync();
            return false;
        }
        catch
        {
            await cell.DisposeAsync();
            throw;
        }
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

    /// <summary>Sends one event to the instance and waits for the answer, the function's timeout, or the process's end.</summary>
    public async Task<InvocationResult> InvokeAsync(string requestId, ReadOnlyMemory<byte> payload, bool coldStart)
    {
        var timeout = TimeSpan.FromSeconds(Function.Function.Timeout);
        var start = Services.Time.GetUtcNow();
        var pending = new PendingInvocation(requestId, payload, start + timeout, Function.Arn,
            $"Root=1-{start.ToUnixTimeSeconds():x8}-{requestId.Replace("-", "", StringComparison.Ordinal)[..24]};Sampled=0");

        AttributeOutputTo(requestId);
        var outputComplete = UsesOwnRuntimeLoop ? ExpectOutputMarkers(requestId) : null;
        EnqueuePlatformWork(() => WritePlatformLineAsync(requestId, $"START RequestId: {requestId} Version: {Function.RevisionNumber}").AsTask(), afterQuietOutput: false);

        var stopwatch = Stopwatch.StartNew();
        _current = pending;
        await _next.Writer.WriteAsync(pending);

        Task? first;
        try
        {
            // One timer, dropped as soon as the answer (or the end of the process) comes.
            first = await Task.WhenAny(pending.Answer, Exited).WaitAsync(timeout, Services.Time);
        }
        catch (TimeoutException)
        {
            first = null;
        }

        stopwatch.Stop();

        InvocationAnswer answer;
        string? error = null;
        if (first == pending.Answer)
        {
            answer = await pending.Answer;
            if (answer.Status != InvocationStatus.Success)
            {
                error = ErrorSummary(answer);
            }
        }
        else if (first == Exited)
        {
            var code = await Process.Exited;
            error = $"Runtime exited with error: exit status {code}";
            answer = new InvocationAnswer(InvocationStatus.Crash, ErrorJson(error, "Runtime.ExitError"), "Runtime.ExitError");
        }
        else
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Task timed out after {timeout.TotalSeconds:F2} seconds");
            answer = new InvocationAnswer(InvocationStatus.Timeout, ErrorJson(error, "Sandbox.Timedout"), "Sandbox.Timedout");
            await KillAsync();
        }

        _current = null;
        var duration = stopwatch.Elapsed;
        EnqueuePlatformWork(async () =>
        {
            ForgetOutputMarkers(requestId);
            await ReportAsync(requestId, start, duration, answer.Status, error, coldStart, writeLines: true);
        }, afterQuietOutput: true, outputComplete);
        return new InvocationResult(requestId, answer.Status, answer.Payload, answer.ErrorType, duration, coldStart);
    }

    // ----- called by the Runtime API host -----

    internal async Task<PendingInvocation> NextAsync(CancellationToken cancellationToken)
    {
        _ready.TrySetResult();
        return await _next.Reader.ReadAsync(cancellationToken);
    }

    internal bool TryAnswer(string requestId, InvocationAnswer answer)
    {
        var current = _current;
        return current is not null && current.RequestId == requestId && current.TryAnswer(answer);
    }

    internal void ReportInitError(ReadOnlyMemory<byte> payload, string? errorType)
    {
        var answer = new InvocationAnswer(InvocationStatus.Error, payload, errorType);
        var summary = ErrorSummary(answer);
        EnqueuePlatformWork(() => WritePlatformLineAsync(null, "INIT_REPORT Status: error " + summary).AsTask(), afterQuietOutput: true);
        _ready.TrySetException(new InstanceStartException($"the function failed to initialize: {summary}"));
    }

    protected override async ValueTask OnDisposingAsync()
    {
        Services.RuntimeApi.Unregister(this);
        _next.Writer.TryComplete();
        _ready.TrySetException(new InstanceStartException("the instance was stopped"));
        _ = _ready.Task.Exception; // observed
        if (Interlocked.Exchange(ref _stemCell, null) is { } cell)
        {
            await cell.DisposeAsync(); // stopped before it was started
        }
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
