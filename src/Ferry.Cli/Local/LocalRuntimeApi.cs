using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Cli.Local;

/// <summary>
/// The smallest useful AWS Lambda Runtime API (2018-06-01) for one runtime loop on the developer's machine:
/// <c>invocation/next</c>, <c>invocation/{id}/response</c>, <c>invocation/{id}/error</c> and <c>init/error</c>, on a
/// loopback port. The server's <c>RuntimeApiHost</c> is not reused: it multiplexes many sandboxed instances by path
/// token, a UNIX socket and the instance lifecycle, none of which exist without a server.
/// </summary>
internal sealed class LocalRuntimeApi : IAsyncDisposable
{
    /// <summary>Largest event or result accepted, as on AWS Lambda (synchronous invocations).</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    private const string Prefix = "/2018-06-01/runtime";
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly Channel<LocalInvocation> _queue = Channel.CreateUnbounded<LocalInvocation>();
    private readonly ConcurrentDictionary<string, LocalInvocation> _inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<RuntimeAnswer> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private WebApplication? _app;

    private LocalRuntimeApi(TimeProvider time) => _time = time;

    /// <summary><c>host:port</c> to pass as <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Completes when the runtime loop reports that it could not load the handler.</summary>
    public Task<RuntimeAnswer> InitError => _initError.Task;

    /// <summary>Starts listening on a free loopback port.</summary>
    public static async Task<LocalRuntimeApi> StartAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var api = new LocalRuntimeApi(time);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = MaxPayloadBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);

        var app = builder.Build();
        api.MapEndpoints(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api.Address = new Uri(address).Authority;
        api._app = app;
        return api;
    }

    /// <summary>Queues <paramref name="invocation"/> for the runtime loop's next <c>invocation/next</c>.</summary>
    public void Submit(LocalInvocation invocation)
    {
        if (!_queue.Writer.TryWrite(invocation))
        {
            throw new InvalidOperationException("The local Runtime API is stopped; no more invocations can be submitted.");
        }
    }

    private void MapEndpoints(WebApplication app)
    {
        app.MapGet(Prefix + "/invocation/next", NextAsync);
        app.MapPost(Prefix + "/invocation/{requestId}/response", (string requestId, HttpContext context) => AnswerAsync(requestId, succeeded: true, context));
        app.MapPost(Prefix + "/invocation/{requestId}/error", (string requestId, HttpContext context) => AnswerAsync(requestId, succeeded: false, context));
        app.MapPost(Prefix + "/init/error", InitErrorAsync);
        app.MapFallback(context => ErrorAsync(context, StatusCodes.Status404NotFound, "InvalidRequestException", $"Unknown Runtime API path {context.Request.Path}"));
    }

    private async Task NextAsync(HttpContext context)
    {
        LocalInvocation invocation;
        try
        {
            invocation = await _queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await ErrorAsync(context, StatusCodes.Status410Gone, "RuntimeStopped", "The local Runtime API is shutting down");
            }

            return;
        }

        _inFlight[invocation.RequestId] = invocation;
        var deadline = invocation.MarkStarted(_time.GetUtcNow());
        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.FunctionArn;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = invocation.Payload.Length;
        await context.Response.Body.WriteAsync(invocation.Payload, context.RequestAborted);
    }

    private async Task AnswerAsync(string requestId, bool succeeded, HttpContext context)
    {
        if (!_inFlight.TryRemove(requestId, out var invocation))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidRequestIDException", $"No invocation {requestId} is in progress");
            return;
        }

        string body;
        try
        {
            body = await ReadBodyAsync(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var message = $"Response payload size exceeded the limit of {MaxPayloadBytes} bytes";
            invocation.TryAnswer(new RuntimeAnswer(false, ErrorJson(message, "Function.ResponseSizeTooLarge"), "Function.ResponseSizeTooLarge"));
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "RequestEntityTooLarge", message);
            return;
        }

        invocation.TryAnswer(new RuntimeAnswer(succeeded, body, succeeded ? null : ErrorTypeHeader(context)));
        await AcceptedAsync(context);
    }

    private async Task InitErrorAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context);
        _initError.TrySetResult(new RuntimeAnswer(false, body, ErrorTypeHeader(context)));
        await AcceptedAsync(context);
    }

    private static string ErrorJson(string message, string errorType)
        => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["errorMessage"] = message, ["errorType"] = errorType });

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    private static string? ErrorTypeHeader(HttpContext context)
        => context.Request.Headers.TryGetValue("Lambda-Runtime-Function-Error-Type", out var value) ? value.ToString() : null;

    private static Task AcceptedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["status"] = "OK" });
    }

    private static Task ErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["errorType"] = type, ["errorMessage"] = message });
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
