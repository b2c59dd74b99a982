using System.Buffers;
using System.Diagnostics;
using Ferry.Gateway.Events;
using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Ferry.Runtime;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The public side of Ferry: <c>/{service}/{stage}[@region]/{path}</c> → route match → an instance of the function.
/// Event functions get an API Gateway event through the Runtime API; web functions get the request itself,
/// forwarded by YARP's <see cref="IHttpForwarder"/> with the instance's own client (which reaches the instance's
/// private network through its UNIX socket).
/// </summary>
public sealed partial class FunctionGateway
{
    private const string ForbiddenBody = """{"message":"Forbidden"}""";

    private readonly IDeployedApps _apps;
    private readonly IHostRoutes _hosts;
    private readonly IApiKeyValidator _apiKeys;
    private readonly IHttpForwarder _forwarder;
    private readonly RuntimeOptions _options;
    private readonly ILogger<FunctionGateway> _logger;

    public FunctionGateway(IDeployedApps apps, IHostRoutes hosts, IApiKeyValidator apiKeys, IHttpForwarder forwarder, RuntimeOptions options, ILogger<FunctionGateway> logger)
    {
        _apps = apps;
        _hosts = hosts;
        _apiKeys = apiKeys;
        _forwarder = forwarder;
        _options = options;
        _logger = logger;
    }

    /// <summary>Handles the request when its path names a deployed app stage; returns false when it does not look like one.</summary>
    public Task<bool> TryHandleAsync(HttpContext context) => TryHandleByPathAsync(context, answerUnknownApp: true);

    /// <summary>
    /// Handles the request only when its path names an app stage that is deployed now; returns false otherwise,
    /// without answering (the server's fast path: anything else goes on through routing to its endpoint).
    /// </summary>
    public Task<bool> TryHandleDeployedAsync(HttpContext context) => TryHandleByPathAsync(context, answerUnknownApp: false);

    private async Task<bool> TryHandleByPathAsync(HttpContext context, bool answerUnknownApp)
    {
        if (!GatewayPath.TryParse(context.Request.Path, out var address))
        {
            return false;
        }

        var app = _apps.Find(address.Service, address.Stage, address.Region);
        if (app is null)
        {
            if (!answerUnknownApp)
            {
                return false;
            }

            await GatewayResponses.WriteAsync(context, StatusCodes.Status404NotFound, "app_not_found",
                $"No app '{address.Service}' is deployed to stage '{address.Stage}' in region '{address.Region}'");
            return true;
        }

        await HandleAsync(context, app, address);
        return true;
    }

    /// <summary>
    /// Handles the request when its Host header (without the port) is a bound custom domain: the app stage owns the
    /// whole host (or its base path), so the path is the app's own, without the <c>/{service}/{stage}</c> prefix.
    /// Returns false when the host is not bound; then the request is Ferry's (API, console, path-prefix URLs).
    /// </summary>
    public async Task<bool> TryHandleByHostAsync(HttpContext context)
    {
        var table = _hosts.Current;
        if (table.Count == 0)
        {
            return false;
        }

        var host = context.Request.Host.Host.AsSpan();
        if (!table.IsBound(host))
        {
            return false;
        }

        var match = table.Match(host, context.Request.Path.HasValue ? context.Request.Path.ToUriComponent() : "/");
        if (match is null)
        {
            await GatewayResponses.WriteAsync(context, StatusCodes.Status404NotFound, "route_not_found",
                $"No app is mapped to {context.Request.Path} on {context.Request.Host.Host}");
            return true;
        }

        var binding = match.Binding;
        var app = _apps.Find(binding.Service, binding.Stage, binding.Region);
        if (app is null || app.Tenant != binding.Tenant)
        {
            await GatewayResponses.WriteAsync(context, StatusCodes.Status404NotFound, "app_not_found",
                $"The app bound to {context.Request.Host.Host} is not deployed");
            return true;
        }

        await HandleAsync(context, app, match.ToAddress());
        return true;
    }

    /// <summary>
    /// Serves a request with a given deployed app, which need not be the one currently published: upgrades use this to
    /// health-check a new revision before any traffic is switched to it.
    /// </summary>
    public async Task HandleAsync(HttpContext context, DeployedApp app, GatewayAddress address)
    {
        if (CorsResponder.IsPreflight(context.Request, out var requestedMethod)
            && app.Routes.MatchPreflight(requestedMethod, address.RemainingPath) is { } preflight)
        {
            await CorsResponder.WritePreflightAsync(context, preflight.Route);
            return;
        }

        var match = app.Routes.Match(context.Request.Method, address.RemainingPath);
        if (match is null)
        {
            var exists = app.Routes.PathExists(address.RemainingPath);
            await GatewayResponses.WriteAsync(context,
                exists ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound,
                exists ? "method_not_allowed" : "route_not_found",
                exists ? $"{context.Request.Method} is not allowed on {address.RemainingPath}" : $"No route matches {context.Request.Method} {address.RemainingPath}");
            return;
        }

        if (match.Route is { PayloadFormat: HttpRoute.PayloadV2, Cors: { } cors })
        {
            CorsResponder.ApplyToResponse(context, cors);
        }

        if (match.Route.Private && !await HasValidApiKeyAsync(context, app))
        {
            // API Gateway's answer to a missing or unknown key, word for word.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "application/json";
            context.Response.Headers["x-amzn-ErrorType"] = "ForbiddenException";
            await context.Response.WriteAsync(ForbiddenBody, context.RequestAborted);
            return;
        }

        var pool = app.Pools[match.Function];
        if (app.Shift?.PreviousPoolFor(pool, Random.Shared.NextDouble()) is { } previous)
        {
            // Served by the revision being replaced; should it retire meanwhile, Successor finds this one again.
            (app, pool) = (app.Shift.Previous, previous);
        }

        var requestId = RequestId.New();
        context.Response.Headers["apigw-requestid"] = requestId;
        try
        {
            if (pool.Function.Function.Kind == FunctionKind.Web)
            {
                await ForwardToWebFunctionAsync(context, pool, address, app, requestId);
            }
            else
            {
                await InvokeEventFunctionAsync(context, app, pool, match, address, requestId);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
    }

    /// <summary>How many times a request follows its function into a newer revision (one per deploy that overtook it).</summary>
    private const int MaxRevisionHops = 3;

    /// <summary>
    /// The same function in the app stage's current revision, when <paramref name="app"/> was replaced (a deploy)
    /// after this request was routed to it: a request its retired pool no longer takes is served by the new revision
    /// instead of failing. Null when there is none (the app was removed, or the function is gone or changed kind).
    /// </summary>
    private (DeployedApp App, InstancePool Pool)? Successor(DeployedApp app, InstancePool pool)
    {
        var current = _apps.Find(app.Service, app.Stage, app.Region);
        return current is not null && !ReferenceEquals(current, app) && current.Tenant == app.Tenant
            && current.Pools.TryGetValue(pool.Function.Name, out var next) && !ReferenceEquals(next, pool)
            && next.Function.Function.Kind == pool.Function.Function.Kind
            ? (current, next)
            : null;
    }

    /// <summary>The answer to a request the pool could not give an instance.</summary>
    private static Task WritePoolErrorAsync(HttpContext context, PoolError error, string function, string requestId)
    {
        switch (error.Kind)
        {
            case PoolErrorKind.QuotaExceeded when error.QuotaRefusal is { } refusal:
                return GatewayResponses.WriteQuotaExceededAsync(context, refusal, requestId);
            case PoolErrorKind.StartFailed:
                return GatewayResponses.WriteAsync(context, StatusCodes.Status502BadGateway, "instance_start_failed",
                    $"{function} could not start: {error.Message}", requestId);
            case PoolErrorKind.QueueFull:
                return GatewayResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "queue_full", error.Message, requestId);
            case PoolErrorKind.Retired:
                // The pool was retired between lookup and acquire (a deploy or removal switched it out): ask the client to retry.
                context.Response.Headers.RetryAfter = "1";
                return GatewayResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "revision_retired",
                    "The app was redeployed while this request was routed; retry", requestId);
            default:
                return GatewayResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "no_instance", error.Message, requestId);
        }
    }

    private async Task InvokeEventFunctionAsync(HttpContext context, DeployedApp app, InstancePool pool, RouteMatch match, GatewayAddress address, string requestId)
    {
        var body = await ReadBodyAsync(context.Request, _options.MaxPayloadBytes, context.RequestAborted);
        if (body is null)
        {
            await GatewayResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "payload_too_large",
                $"The request body is larger than the {_options.MaxPayloadBytes / (1024 * 1024)} MiB an event function accepts", requestId);
            return;
        }

        // Through a custom domain the app sees the name it is reached at, as API Gateway gives it (no port).
        var domainName = address.DomainBasePath is null ? context.Request.Host.Value : context.Request.Host.Host;
        var info = new RequestContextInfo(requestId, "000000000000", address.Stage, string.IsNullOrEmpty(domainName) ? "localhost" : domainName,
            context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1", DateTimeOffset.UtcNow);
        var payloadFormat = match.Route.PayloadFormat;
        var eventJson = payloadFormat == HttpRoute.PayloadV1
            ? RestApiEventV1.Build(context.Request, body, match, address, info)
            : HttpApiEventV2.Build(context.Request, body, match, address, info);

        var invoked = await pool.InvokeAsync(requestId, eventJson, context.RequestAborted, continueOnAnswerThread: true);
        for (var hop = 0; hop < MaxRevisionHops && !invoked.Succeeded && invoked.Error.Kind == PoolErrorKind.Retired
             && Successor(app, pool) is var (nextApp, nextPool); hop++)
        {
            (app, pool) = (nextApp, nextPool);
            invoked = await pool.InvokeAsync(requestId, eventJson, context.RequestAborted, continueOnAnswerThread: true);
        }

        if (!invoked.Succeeded)
        {
            await WritePoolErrorAsync(context, invoked.Error, match.Function, requestId);
            return;
        }

        var result = invoked.Value;
        switch (result.Status)
        {
            case InvocationStatus.Success:
                var response = LambdaHttpResponse.Parse(result.Payload, payloadFormat);
                await LambdaHttpResponse.WriteAsync(context.Response, response, context.RequestAborted);
                break;
            case InvocationStatus.Timeout:
                await GatewayResponses.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "function_timeout",
                    $"{match.Function} did not answer within its timeout of {pool.Function.Function.Timeout} s", requestId);
                break;
            case InvocationStatus.Crash:
                await GatewayResponses.WriteAsync(context, StatusCodes.Status502BadGateway, "function_crashed",
                    $"{match.Function} exited before answering; see its logs (request {requestId})", requestId);
                break;
            default:
                await GatewayResponses.WriteAsync(context, StatusCodes.Status500InternalServerError, "function_error",
                    $"{match.Function} failed; see its logs (request {requestId})", requestId);
                break;
        }
    }

    private async Task ForwardToWebFunctionAsync(HttpContext context, InstancePool pool, GatewayAddress address, DeployedApp app, string requestId)
    {
        var acquired = await pool.AcquireAsync(context.RequestAborted);
        for (var hop = 0; hop < MaxRevisionHops && !acquired.Succeeded && acquired.Error.Kind == PoolErrorKind.Retired
             && Successor(app, pool) is var (nextApp, nextPool); hop++)
        {
            (app, pool) = (nextApp, nextPool);
            acquired = await pool.AcquireAsync(context.RequestAborted);
        }

        if (!acquired.Succeeded)
        {
            await WritePoolErrorAsync(context, acquired.Error, pool.Function.Name, requestId);
            return;
        }

        using var lease = acquired.Value;
        var instance = (WebFunctionInstance)lease.Instance;
        var start = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var transformer = new PrefixStrippingTransformer(address.RemainingPath, address.PublicPrefix);
        var error = await _forwarder.SendAsync(context, instance.Address.ToString(), instance.Client, ForwarderRequestConfig.Empty, transformer);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var status = context.Response.StatusCode >= 500 || error != ForwarderError.None ? InvocationStatus.Error : InvocationStatus.Success;
        string? message = null;
        if (error != ForwarderError.None)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>();
            message = $"forwarding failed: {error} {failure?.Exception?.Message}";
            LogForwardFailed(pool.Function.ToString(), error.ToString(), failure?.Exception?.Message);
            if (!instance.IsAlive)
            {
                status = InvocationStatus.Crash;
            }

            if (!context.Response.HasStarted && error is not ForwarderError.RequestCanceled)
            {
                await GatewayResponses.WriteAsync(context, StatusCodes.Status502BadGateway, "web_function_unreachable",
                    $"{pool.Function.Name} did not answer: {error}", requestId);
            }
        }

        await instance.RecordRequestAsync(requestId, start, elapsed, status, message, lease.ColdStart);
    }

    private async Task<bool> HasValidApiKeyAsync(HttpContext context, DeployedApp app)
    {
        var key = context.Request.Headers["x-api-key"].ToString();
        return key.Length > 0 && await _apiKeys.IsValidAsync(app, key, context.RequestAborted);
    }

    /// <summary>The whole body, or null when it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        // Most event requests (GET, HEAD, DELETE) have no body: no buffer for them. The profile of a GET-driven event
        // function had a fresh 16 KiB buffer zeroed per request at 1.7 % of the server's CPU.
        if (request.ContentLength == 0 || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return [];
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 0);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to {Function} failed: {Error} {Detail}")]
    private partial void LogForwardFailed(string function, string error, string? detail);
}
