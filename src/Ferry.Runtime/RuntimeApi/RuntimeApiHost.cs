using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Runtime.Instances;
using Ferry.Runtime.StemCells;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.RuntimeApi;

/// <summary>
/// Serves the AWS Lambda Runtime API to event-function instances, apart from the public gateway: on a loopback TCP
/// port for instances that share the host's network, and on a UNIX socket (<see cref="SocketPath"/>) that sandboxes
/// with a private network reach through a bridge. Instances behind the bridge use the plain Lambda address
/// (<c>127.0.0.1:9001</c>, which is all the official clients such as aws-lambda-ric accept): the kernel tells which
/// process opened each connection, and so which instance's sandbox it comes from. Instances on the host's network
/// get a path prefix of their own, <c>/i/TOKEN</c> (clients build URLs as
/// <c>"http://" + AWS_LAMBDA_RUNTIME_API + "/2018-06-01/…"</c>). Either way an instance only ever sees its own invocations.
/// Stem cells (runtimes started before their function is known) use the same prefix scheme and one Ferry-specific
/// call, <c>GET …/2018-06-01/ferry/identity</c>, which answers once the cell has been given a function.
/// Ferry's own runtime loops post each outcome with <see cref="FerryNextHeader"/>, which makes the answer to that POST
/// the next invocation: one round trip per invocation instead of two (official clients never send it and get Lambda's 202).
/// With <see cref="FerrySilentHeader"/> they also name the output streams they wrote no output marker on.
/// </summary>
public sealed partial class RuntimeApiHost : IAsyncDisposable
{
    private const string Version = "/2018-06-01/runtime";
    private readonly ConcurrentDictionary<string, EventFunctionInstance> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StemCell> _stemCells = new(StringComparer.Ordinal);
    private readonly RuntimeOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<RuntimeApiHost> _logger;
    private const string SocketName = "runtime-api.sock";
    private WebApplication? _app;

    /// <summary>Ends the long polls (next invocation, stem cell identity) at shutdown, which would otherwise hold it up.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private DirectoryInfo? _socketDirectory;

    public RuntimeApiHost(RuntimeOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RuntimeApiHost>();
    }

    /// <summary>host:port of the TCP listener once started.</summary>
    public string Authority { get; private set; } = "";

    /// <summary>The UNIX socket of the same API once started, in a folder only Ferry's user may enter.</summary>
    public string SocketPath { get; private set; } = "";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var socketDirectory = Directory.CreateTempSubdirectory("ferry-runtime-api-");
        var socketPath = Path.Combine(socketDirectory.FullName, SocketName);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = _options.InlineIo);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(System.Net.IPAddress.Loopback, 0);
            // Sandboxes reach this socket through their bridge; who connects is told by the kernel (SO_PEERCRED),
            // so instances there are known without anything in the URL (aws-lambda-ric accepts only host:port).
            kestrel.ListenUnixSocket(socketPath, listen => listen.Use(next => connection =>
            {
                if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket && SocketPeer.ProcessId(socket) is { } pid)
                {
                    connection.Items[PeerPidKey] = pid;
                }

                return next(connection);
            }));
            kestrel.Limits.MaxRequestBodySize = _options.MaxPayloadBytes + 64 * 1024;
            kestrel.AddServerHeader = false;
        });

        var app = builder.Build();
        app.Use(next => context => TryServeBySandbox(context) ?? next(context));
        app.UseRouting(); // after the shortcut: routing runs only for what it did not serve
        MapEndpoints(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            socketDirectory.Delete(recursive: true);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Authority = new Uri(address).Authority;
        SocketPath = socketPath;
        _socketDirectory = socketDirectory;
        _app = app;
        LogListening(Authority, SocketPath);
    }

    internal void Register(EventFunctionInstance instance) => _instances[instance.Token] = instance;

    internal void Unregister(EventFunctionInstance instance) => _instances.TryRemove(instance.Token, out _);

    /// <summary>The value of <c>AWS_LAMBDA_RUNTIME_API</c> for an instance that shares the host's network.</summary>
    internal string AddressFor(EventFunctionInstance instance) => Authority + PathPrefixFor(instance);

    /// <summary>The instance's path prefix, <c>/i/TOKEN</c>, to append to whatever host:port reaches this API.</summary>
    internal static string PathPrefixFor(EventFunctionInstance instance) => PathPrefixFor(instance.Token);

    internal static string PathPrefixFor(string token) => $"/i/{token}";

    internal void RegisterStemCell(StemCell cell) => _stemCells[cell.Token] = cell;

    /// <summary>Forgets a cell (taken or stopped); a request it has already made keeps waiting for its identity.</summary>
    internal void UnregisterStemCell(StemCell cell) => _stemCells.TryRemove(new KeyValuePair<string, StemCell>(cell.Token, cell));

    private void MapEndpoints(IEndpointRouteBuilder app)
    {
        // Plain Lambda paths, for instances behind a bridge: the connection tells which instance is calling.
        var plain = app.MapGroup(Version);
        plain.MapGet("/invocation/next", (HttpContext context) => TryPeer(context, out var token, out var refusal) ? NextAsync(token, context) : refusal);
        plain.MapPost("/invocation/{requestId}/response", (string requestId, HttpContext context)
            => TryPeer(context, out var token, out var refusal) ? AnswerAsync(token, requestId, InvocationStatus.Success, context) : refusal);
        plain.MapPost("/invocation/{requestId}/error", (string requestId, HttpContext context)
            => TryPeer(context, out var token, out var refusal) ? AnswerAsync(token, requestId, InvocationStatus.Error, context) : refusal);
        plain.MapPost("/init/error", (HttpContext context) => TryPeer(context, out var token, out var refusal) ? InitErrorAsync(token, context) : refusal);

        var api = app.MapGroup("/i/{token}" + Version);
        api.MapGet("/invocation/next", NextAsync);
        api.MapPost("/invocation/{requestId}/response", (string token, string requestId, HttpContext context)
            => AnswerAsync(token, requestId, InvocationStatus.Success, context));
        api.MapPost("/invocation/{requestId}/error", (string token, string requestId, HttpContext context)
            => AnswerAsync(token, requestId, InvocationStatus.Error, context));
        api.MapPost("/init/error", InitErrorAsync);
        app.MapGet("/i/{token}/2018-06-01/ferry/identity", StemCellIdentityAsync);
        app.MapFallback((HttpContext context) => Error(context, StatusCodes.Status404NotFound, "InvalidRequestException", "Unknown Runtime API path"));
    }

    private const string InvocationPrefix = Version + "/invocation/";

    /// <summary>
    /// The calls a runtime loop makes for every invocation (next, and an invocation's response or error; on the plain
    /// paths and on an instance's own <c>/i/{token}</c> paths), served without endpoint routing and parameter binding,
    /// which cost the server about 3 µs per event invocation (bench/README.md, issue 12, step 20); null for everything
    /// else, which the endpoints below serve (with the same handlers).
    /// </summary>
    private Task? TryServeBySandbox(HttpContext context)
    {
        var path = context.Request.Path.Value.AsSpan();
        string? token = null;
        if (path.StartsWith("/i/"))
        {
            var tokenEnd = path[3..].IndexOf('/');
            if (tokenEnd <= 0)
            {
                return null;
            }

            token = path.Slice(3, tokenEnd).ToString();
            path = path[(3 + tokenEnd)..];
        }

        if (!path.StartsWith(InvocationPrefix))
        {
            return null;
        }

        var rest = path[InvocationPrefix.Length..];
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) && rest.SequenceEqual("next"))
        {
            return token is not null ? NextAsync(token, context)
                : TryPeer(context, out var peer, out var refusal) ? NextAsync(peer, context) : refusal;
        }

        var slash = rest.IndexOf('/');
        if (!HttpMethods.IsPost(method) || slash <= 0)
        {
            return null;
        }

        var status = rest[(slash + 1)..] switch
        {
            "response" => InvocationStatus.Success,
            "error" => InvocationStatus.Error,
            _ => (InvocationStatus?)null,
        };
        if (status is null)
        {
            return null;
        }

        var requestId = rest[..slash].ToString();
        return token is not null ? AnswerAsync(token, requestId, status.Value, context)
            : TryPeer(context, out var caller, out var refused) ? AnswerAsync(caller, requestId, status.Value, context) : refused;
    }

    private const string PeerPidKey = "ferry.peer-pid";
    private const string PeerTokenKey = "ferry.peer-token";

    /// <summary>
    /// The token of the instance whose sandbox the connection comes from (found once per connection, then remembered
    /// on it); false with <paramref name="refusal"/> answering the request when there is none. No delegate per request.
    /// </summary>
    private bool TryPeer(HttpContext context, out string token, out Task refusal)
    {
        refusal = Task.CompletedTask;
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null || !items.TryGetValue(PeerPidKey, out var pidItem) || pidItem is not int pid)
        {
            token = "";
            refusal = Error(context, StatusCodes.Status404NotFound, "InvalidRequestException",
                "Use the address in AWS_LAMBDA_RUNTIME_API: this connection does not come from a sandboxed instance");
            return false;
        }

        if (items.TryGetValue(PeerTokenKey, out var tokenItem) && tokenItem is string known)
        {
            token = known;
            return true;
        }

        token = TokenOfProcess(pid) ?? "";
        if (token.Length > 0)
        {
            items[PeerTokenKey] = token;
            return true;
        }

        refusal = Error(context, StatusCodes.Status403Forbidden, "UnknownInstance", "This instance is no longer registered");
        return false;
    }

    /// <summary>The token of the instance whose sandbox holds <paramref name="pid"/> (the bridge's forwarder, or the function itself).</summary>
    private string? TokenOfProcess(int pid)
    {
        var bySandbox = new Dictionary<int, string>();
        foreach (var (token, instance) in _instances)
        {
            if (instance.SandboxPid is { } root)
            {
                bySandbox[root] = token;
            }
        }

        foreach (var ancestor in SocketPeer.SelfAndAncestors(pid))
        {
            if (bySandbox.TryGetValue(ancestor, out var token))
            {
                return token;
            }
        }

        return null;
    }

    private Task NextAsync(string token, HttpContext context)
        => _instances.TryGetValue(token, out var instance)
            ? SendNextAsync(instance, context)
            : Error(context, StatusCodes.Status403Forbidden, "UnknownInstance", "This instance is no longer registered");

    /// <summary>
    /// Waits for the instance's next invocation and answers with it (200, the event as body, its details in the
    /// <c>Lambda-Runtime-*</c> headers); 410 when the instance is stopped first. Used by <c>GET …/invocation/next</c>
    /// and by a posted outcome that asked for the next invocation (<see cref="FerryNextHeader"/>).
    /// </summary>
    private async Task SendNextAsync(EventFunctionInstance instance, HttpContext context)
    {
        PendingInvocation invocation;
        try
        {
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            invocation = await instance.NextAsync(poll.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await Error(context, StatusCodes.Status410Gone, "InstanceStopped", "This instance is being stopped");
            }

            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = invocation.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.FunctionArn;
        headers["Lambda-Runtime-Trace-Id"] = invocation.TraceId;
        response.ContentType = "application/json";
        response.ContentLength = invocation.Payload.Length;
        await response.Body.WriteAsync(invocation.Payload, context.RequestAborted);
    }

    /// <summary>
    /// Ferry's extension of the Runtime API: a posted outcome (<c>…/response</c> or <c>…/error</c>) with this header
    /// set to <c>1</c> is answered, once recorded, with the next invocation exactly as <c>GET …/invocation/next</c>
    /// would answer (a long poll; 410 when the instance is stopped), so Ferry's runtime loops make one round trip per
    /// invocation. Without the header the answer is Lambda's 202, as official clients expect.
    /// </summary>
    internal const string FerryNextHeader = "Lambda-Runtime-Ferry-Next";

    /// <summary>
    /// Sent by Ferry's runtime loops with an outcome: the output streams (<c>stdout</c>, <c>stderr</c>, comma-separated)
    /// the invocation printed nothing on, where the loop therefore wrote no output marker for it. Without the header
    /// both markers are awaited, as before.
    /// </summary>
    internal const string FerrySilentHeader = "Lambda-Runtime-Ferry-Silent";

    /// <summary>Which streams a <see cref="FerrySilentHeader"/> names; other words are ignored.</summary>
    internal static (bool Stdout, bool Stderr) SilentStreams(Microsoft.Extensions.Primitives.StringValues values)
    {
        var (stdout, stderr) = (false, false);
        foreach (var value in values)
        {
            var text = value.AsSpan();
            foreach (var range in text.Split(','))
            {
                var name = text[range].Trim();
                stdout |= name.SequenceEqual("stdout");
                stderr |= name.SequenceEqual("stderr");
            }
        }

        return (stdout, stderr);
    }

    private static bool WantsNext(HttpContext context)
        => context.Request.Headers.TryGetValue(FerryNextHeader, out var value) && value.Count == 1 && value[0] == "1";

    private async Task AnswerAsync(string token, string requestId, InvocationStatus status, HttpContext context)
    {
        if (!_instances.TryGetValue(token, out var instance))
        {
            await Error(context, StatusCodes.Status403Forbidden, "UnknownInstance", "This instance is no longer registered");
            return;
        }

        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            var message = string.Create(CultureInfo.InvariantCulture, $"Response payload size exceeded the limit of {_options.MaxPayloadBytes} bytes");
            instance.TryAnswer(requestId, new InvocationAnswer(InvocationStatus.Error,
                EventFunctionInstance.ErrorJson(message, "Function.ResponseSizeTooLarge"), "Function.ResponseSizeTooLarge"));
            await Error(context, StatusCodes.Status413PayloadTooLarge, "RequestEntityTooLarge", message);
            return;
        }

        if (context.Request.Headers.TryGetValue(FerrySilentHeader, out var silent))
        {
            var (stdout, stderr) = SilentStreams(silent);
            instance.NoOutputDuring(requestId, stdout, stderr);
        }

        var errorType = status == InvocationStatus.Error ? ErrorTypeHeader(context) : null;
        if (!instance.TryAnswer(requestId, new InvocationAnswer(status, body, errorType)))
        {
            await Error(context, StatusCodes.Status400BadRequest, "InvalidRequestIDException", $"No invocation {requestId} is in progress on this instance");
            return;
        }

        if (WantsNext(context))
        {
            await SendNextAsync(instance, context);
            return;
        }

        await AcceptedAsync(context);
    }

    /// <summary>The body of every 202 the Runtime API answers.</summary>
    private static readonly byte[] AcceptedBody = """{"status":"OK"}"""u8.ToArray();

    private static Task AcceptedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = AcceptedBody.Length;
        return context.Response.Body.WriteAsync(AcceptedBody, context.RequestAborted).AsTask();
    }

    private async Task InitErrorAsync(string token, HttpContext context)
    {
        if (!_instances.TryGetValue(token, out var instance))
        {
            await Error(context, StatusCodes.Status403Forbidden, "UnknownInstance", "This instance is no longer registered");
            return;
        }

        var body = await ReadBodyAsync(context) ?? EventFunctionInstance.ErrorJson("init error body too large", "Runtime.Unknown");
        instance.ReportInitError(body, ErrorTypeHeader(context));
        await AcceptedAsync(context);
    }

    /// <summary>A stem cell's long poll for the function it becomes: <c>{"environment": {…}}</c>, or 410 when it is stopped instead.</summary>
    private async Task StemCellIdentityAsync(string token, HttpContext context)
    {
        if (!_stemCells.TryGetValue(token, out var cell))
        {
            await Error(context, StatusCodes.Status403Forbidden, "UnknownStemCell", "This stem cell is no longer registered");
            return;
        }

        StemCellIdentity identity;
        try
        {
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            identity = await cell.WaitForIdentityAsync(poll.Token);
        }
        catch (OperationCanceledException)
        {
            cell.ReportDelivery(false);
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await Error(context, StatusCodes.Status410Gone, "StemCellStopped", "This stem cell is being stopped");
            }

            return;
        }

        try
        {
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["environment"] = identity.Environment,
            }, cancellationToken: context.RequestAborted);
            await context.Response.CompleteAsync();
            cell.ReportDelivery(!context.RequestAborted.IsCancellationRequested);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            cell.ReportDelivery(false);
        }
    }

    private static string? ErrorTypeHeader(HttpContext context)
        => context.Request.Headers.TryGetValue("Lambda-Runtime-Function-Error-Type", out var value) ? value.ToString() : null;

    /// <summary>The body, or null when it is larger than the payload limit.</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        var declared = context.Request.ContentLength;
        if (declared > _options.MaxPayloadBytes)
        {
            return null;
        }

        try
        {
            if (declared is { } length)
            {
                // The usual case (every runtime sends Content-Length): one array of the exact size, no copies.
                var exact = new byte[length];
                await context.Request.Body.ReadExactlyAsync(exact, context.RequestAborted);
                return exact;
            }

            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > _options.MaxPayloadBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (BadHttpRequestException)
        {
            return null;
        }
    }

    private static Task Error(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["errorType"] = type, ["errorMessage"] = message });
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await _stopping.CancelAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(grace.Token);
            await app.DisposeAsync();
        }

        _stopping.Dispose();

        if (Interlocked.Exchange(ref _socketDirectory, null) is { } directory)
        {
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException ex)
            {
                _logger.LogWarning(ex, "Could not delete the Runtime API socket folder {Folder}", directory.FullName);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lambda Runtime API listening on {Authority} and {SocketPath}")]
    private partial void LogListening(string authority, string socketPath);
}
