using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Tests.Bootstrap;

/// <summary>
/// A Lambda Runtime API (2018-06-01) on 127.0.0.1 behind a random path prefix: hands out queued events
/// and records what the runtime loop posts back. Anything outside the prefix answers 404.
/// </summary>
internal sealed class FakeRuntimeApi : IAsyncDisposable
{
    public const string FunctionArn = "arn:aws:lambda:local:000000000000:function:orders-create";

    private readonly WebApplication _app;
    private readonly string _prefix = "/i/" + Guid.NewGuid().ToString("N")[..12];
    private readonly Channel<QueuedEvent> _events = Channel.CreateUnbounded<QueuedEvent>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationReport>> _reports = new();
    private readonly TaskCompletionSource<InvocationReport> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private int _port;

    private FakeRuntimeApi()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.ListenUnixSocket(SocketPath);
        });
        _app = builder.Build();
        _app.Use((context, next) =>
        {
            if (context.Connection.LocalIpAddress is null) // Kestrel's UNIX socket connections have no IP address
            {
                Interlocked.Increment(ref _requestsOverSocket);
            }

            return next(context);
        });

        var runtime = _app.MapGroup(_prefix + "/2018-06-01/runtime");
        runtime.MapGet("/invocation/next", ServeNextEventAsync);
        runtime.MapPost("/invocation/{requestId}/response",
            (string requestId, HttpContext context) => RecordAsync(requestId, ReportKind.Response, context));
        runtime.MapPost("/invocation/{requestId}/error",
            (string requestId, HttpContext context) => RecordAsync(requestId, ReportKind.Error, context));
        runtime.MapPost("/init/error", RecordInitErrorAsync);
    }

    /// <summary>The value for AWS_LAMBDA_RUNTIME_API: host:port plus the path prefix.</summary>
    public string Address => $"127.0.0.1:{_port}{_prefix}";

    /// <summary>The same API on a UNIX socket (the value for FERRY_RUNTIME_API_SOCKET), with the same path prefix.</summary>
    public string SocketPath { get; } = Path.Combine(Directory.CreateTempSubdirectory("ferry-fake-runtime-api-").FullName, "api.sock");

    /// <summary>The prefix with a port nothing listens on: a loop that used host:port instead of <see cref="SocketPath"/> fails.</summary>
    public string AddressWithoutListener => $"127.0.0.1:9{_prefix}";

    /// <summary>How many requests came over <see cref="SocketPath"/>.</summary>
    public int RequestsOverSocket => Volatile.Read(ref _requestsOverSocket);

    private int _requestsOverSocket;

    /// <summary>
    /// Whether a report posted with <c>Lambda-Runtime-Ferry-Next: 1</c> is answered with the next event, as Ferry's
    /// Runtime API does (true), or with Lambda's plain 202, as any other Runtime API would (false).
    /// </summary>
    public bool AnswersWithNextInvocation { get; set; } = true;

    /// <summary>How many <c>GET …/invocation/next</c> requests the loop has made.</summary>
    public int NextPolls => Volatile.Read(ref _nextPolls);

    /// <summary>How many reports came with <c>Lambda-Runtime-Ferry-Next: 1</c>.</summary>
    public int ReportsAskingForNext => Volatile.Read(ref _reportsAskingForNext);

    private int _nextPolls;
    private int _reportsAskingForNext;

    /// <summary>Runs when a response has been recorded, before it is acknowledged to the runtime loop.</summary>
    public Action<string>? OnResponseRecorded { get; set; }

    /// <summary>Completes when the runtime loop reports an init error.</summary>
    public Task<InvocationReport> InitError => _initError.Task;

    public static async Task<FakeRuntimeApi> StartAsync(CancellationToken cancellationToken)
    {
        var api = new FakeRuntimeApi();
        await api._app.StartAsync(cancellationToken);
        var addresses = api._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel did not report its addresses.");
        api._port = new Uri(addresses.Addresses.Single(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))).Port;
        return api;
    }

    /// <summary>Stops handing out events: every poll for one (waiting or later) is answered 410, as Ferry answers an instance it retires.</summary>
    public void Retire() => _events.Writer.TryComplete();

    /// <summary>Queues an event for the next GET /runtime/invocation/next.</summary>
    public PendingInvocation Enqueue(string eventJson, TimeSpan? timeout = null, string? traceId = null)
    {
        var requestId = Guid.NewGuid().ToString();
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromMinutes(1));
        var report = _reports.GetOrAdd(requestId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        var queued = new QueuedEvent(requestId, eventJson, deadline.ToUnixTimeMilliseconds(), traceId);
        if (!_events.Writer.TryWrite(queued))
        {
            throw new InvalidOperationException("The fake Runtime API no longer accepts events.");
        }
        return new PendingInvocation(requestId, queued.DeadlineMs, report.Task);
    }

    private Task ServeNextEventAsync(HttpContext context)
    {
        Interlocked.Increment(ref _nextPolls);
        return WriteNextEventAsync(context);
    }

    private async Task WriteNextEventAsync(HttpContext context)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        QueuedEvent queued;
        try
        {
            queued = await _events.Reader.ReadAsync(cancel.Token);
        }
        catch (ChannelClosedException)
        {
            // Retired, as Ferry's Runtime API answers an instance it is stopping.
            context.Response.StatusCode = StatusCodes.Status410Gone;
            await context.Response.WriteAsJsonAsync(new { errorType = "InstanceStopped", errorMessage = "This instance is being stopped" });
            return;
        }

        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = queued.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = queued.DeadlineMs.ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn;
        if (queued.TraceId is not null)
        {
            headers["Lambda-Runtime-Trace-Id"] = queued.TraceId;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(queued.EventJson, cancel.Token);
    }

    private async Task RecordAsync(string requestId, ReportKind kind, HttpContext context)
    {
        var askingForNext = context.Request.Headers["Lambda-Runtime-Ferry-Next"].ToString() == "1";
        if (askingForNext)
        {
            Interlocked.Increment(ref _reportsAskingForNext);
        }

        var result = await RecordReportAsync(requestId, kind, context.Request);
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted } && askingForNext && AnswersWithNextInvocation)
        {
            await WriteNextEventAsync(context);
            return;
        }

        await result.ExecuteAsync(context);
    }

    private async Task<IResult> RecordReportAsync(string requestId, ReportKind kind, HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        if (!_reports.TryGetValue(requestId, out var report))
        {
            return Results.NotFound($"Unknown request id '{requestId}'.");
        }
        var errorType = request.Headers["Lambda-Runtime-Function-Error-Type"].ToString();
        var silent = request.Headers["Lambda-Runtime-Ferry-Silent"].ToString();
        var recorded = report.TrySetResult(new InvocationReport(kind, body, errorType.Length == 0 ? null : errorType, silent.Length == 0 ? null : silent));
        if (recorded && kind == ReportKind.Response)
        {
            OnResponseRecorded?.Invoke(requestId);
        }
        return recorded ? Results.Accepted() : Results.Conflict($"Request '{requestId}' was already reported.");
    }

    private async Task<IResult> RecordInitErrorAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        var errorType = request.Headers["Lambda-Runtime-Function-Error-Type"].ToString();
        _initError.TrySetResult(new InvocationReport(ReportKind.Error, body, errorType.Length == 0 ? null : errorType));
        return Results.Accepted();
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _stopping.CancelAsync();
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopTimeout.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
        Directory.Delete(Path.GetDirectoryName(SocketPath)!, recursive: true);
    }

    private sealed record QueuedEvent(string RequestId, string EventJson, long DeadlineMs, string? TraceId);
}

internal sealed record PendingInvocation(string RequestId, long DeadlineMs, Task<InvocationReport> Report);

internal enum ReportKind { Response, Error }

/// <summary>What the runtime loop posted for one invocation (or for init); <paramref name="SilentHeader"/> is Lambda-Runtime-Ferry-Silent.</summary>
internal sealed record InvocationReport(ReportKind Kind, string Body, string? ErrorTypeHeader, string? SilentHeader = null)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public ReportedError AsError()
    {
        Assert.True(Kind == ReportKind.Error, $"Expected an error report but got a response: {Body}");
        return JsonSerializer.Deserialize<ReportedError>(Body, JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"The error body is null: {Body}");
    }

    public JsonElement AsResponse()
    {
        Assert.True(Kind == ReportKind.Response, $"Expected a response but got an error ({ErrorTypeHeader}): {Body}");
        return Json;
    }
}

/// <summary>The Lambda error shape: {"errorMessage","errorType","stackTrace"}.</summary>
internal sealed record ReportedError(string ErrorMessage, string ErrorType, IReadOnlyList<string> StackTrace);
