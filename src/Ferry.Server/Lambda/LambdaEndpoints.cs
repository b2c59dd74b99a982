using System.Globalization;
using System.Text.Json;
using Ferry.Manifest;
using Ferry.Runtime;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Access;
using Ferry.Triggers.Async;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Lambda;

/// <summary>
/// The AWS Lambda <c>Invoke</c> operation, so AWS SDKs and the AWS CLI work against Ferry with only the endpoint changed:
/// <c>POST /2015-03-31/functions/{FunctionName}/invocations</c>. Requests may be SigV4-signed; the signature's shape
/// is verified against the Ferry access key named in it by the SigV4 authentication scheme, or a Ferry bearer token is
/// used (<see cref="AccessPolicies.SigV4OrBearerScheme"/>); either way the caller only reaches its own tenant's functions.
/// </summary>
internal static class LambdaEndpoints
{
    private const string InvocationTypeHeader = "X-Amz-Invocation-Type";
    private const string LogTypeHeader = "X-Amz-Log-Type";

    public const string InvokeRoute = "/2015-03-31/functions/{functionName}/invocations";

    /// <summary>Whether <paramref name="request"/> is an Invoke call (matched like routing does: any case, one name segment).</summary>
    public static bool IsInvokePath(HttpRequest request)
    {
        var segments = (request.Path.Value ?? "").Split('/');
        return HttpMethods.IsPost(request.Method) && segments.Length == 5 && segments[0].Length == 0
            && segments[1] == "2015-03-31" && segments[2].Equals("functions", StringComparison.OrdinalIgnoreCase)
            && segments[3].Length > 0 && segments[4].Equals("invocations", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Maps Invoke behind the <see cref="AccessPolicies.InvokeFunctions"/> policy; refusals answer in the Lambda error shape.</summary>
    public static void MapLambdaInvoke(this IEndpointRouteBuilder app)
        => app.MapPost(InvokeRoute, InvokeAsync)
            .RequireAuthorization(AccessPolicies.InvokeFunctions)
            .WithMetadata(LambdaAccessErrors.Instance);

    private static async Task<IResult> InvokeAsync(HttpContext context, string functionName, LambdaFunctionResolver resolver,
        RuntimeOptions runtimeOptions, AsyncInvocations asyncInvocations, LogPipeline logs, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var requestId = RequestId.New();
        context.Response.Headers["x-amzn-RequestId"] = requestId;

        // A signed request names its region in the credential scope; bearer requests use the default region.
        var callerRegion = context.Features.Get<SigV4SignatureFeature>()?.Authorization.Region ?? ManifestDefaults.Region;
        var caller = context.GetCaller();

        if (!LambdaFunctionName.TryParse(functionName, request.Query["Qualifier"].ToString(), out var name, out var nameProblem))
        {
            return LambdaError.Validation(nameProblem);
        }

        var invocationType = request.Headers[InvocationTypeHeader].ToString() is { Length: > 0 } type ? type : "RequestResponse";
        if (invocationType is not ("RequestResponse" or "Event" or "DryRun"))
        {
            return LambdaError.InvalidParameter($"{InvocationTypeHeader} must be RequestResponse, Event or DryRun, got '{invocationType}'");
        }

        var logType = request.Headers[LogTypeHeader].ToString();
        if (logType is not ("" or "None" or "Tail"))
        {
            return LambdaError.InvalidParameter($"{LogTypeHeader} must be None or Tail, got '{logType}'");
        }

        if (!resolver.TryResolve(name, callerRegion, caller.Tenant, out var resolved, out var notFound))
        {
            return notFound;
        }

        var function = resolved.Pool.Function;
        if (function.Function.Kind == FunctionKind.Web)
        {
            return LambdaError.InvalidParameter($"'{name.Name}' is a web function; call it over HTTP at its routes instead");
        }

        var isAsync = invocationType == "Event";
        var limit = isAsync ? asyncInvocations.MaxPayloadBytes : runtimeOptions.MaxPayloadBytes;
        var payload = await ReadPayloadAsync(request, limit, cancellationToken);
        if (payload is null)
        {
            return LambdaError.TooLarge(string.Create(CultureInfo.InvariantCulture,
                $"Request must be smaller than {limit} bytes for the {(isAsync ? "asynchronous" : "synchronous")} Invoke operation"));
        }

        if (FindJsonProblem(payload) is { } jsonProblem)
        {
            return LambdaError.InvalidContent($"Could not parse request body into json: {jsonProblem}");
        }

        switch (invocationType)
        {
            case "DryRun":
                return Results.StatusCode(StatusCodes.Status204NoContent);
            case "Event":
                var target = new FunctionAddress(function.Tenant, function.AppStageId, function.Service, function.Stage, function.Region, function.Name);
                await asyncInvocations.SubmitAsync(target, payload, requestId, cancellationToken);
                return Results.StatusCode(StatusCodes.Status202Accepted);
        }

        using var capture = logType == "Tail" ? new InvocationLogCapture(logs, function, requestId) : null;
        var (answer, error) = await InvokeOnceAsync(resolved.Pool, requestId, payload, cancellationToken);
        if (answer is null)
        {
            return error!;
        }

        var headers = context.Response.Headers;
        headers["X-Amz-Executed-Version"] = name.TryGetVersion(out var version) ? version.ToString(CultureInfo.InvariantCulture) : LambdaFunctionName.Latest;
        if (!answer.Succeeded)
        {
            headers["X-Amz-Function-Error"] = "Unhandled";
        }

        if (capture is not null)
        {
            headers["X-Amz-Log-Result"] = await capture.TailAsync(answer.Reported, cancellationToken);
        }

        return Results.Bytes(answer.Body.ToArray(), "application/json");
    }

    /// <summary>What one invocation answered, or the Lambda error to reply with instead.</summary>
    private static async Task<(FunctionAnswer? Answer, LambdaError? Error)> InvokeOnceAsync(InstancePool pool, string requestId, byte[] payload, CancellationToken cancellationToken)
    {
        var invoked = await pool.InvokeAsync(requestId, payload, cancellationToken);
        if (invoked.Succeeded)
        {
            return (new FunctionAnswer(invoked.Value.Succeeded, invoked.Value.Payload, Reported: true), null);
        }

        var error = invoked.Error;
        switch (error.Kind)
        {
            case PoolErrorKind.StartFailed:
                // Lambda reports a function that cannot initialise as a function error of the invocation.
                var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
                {
                    ["errorMessage"] = $"The function could not start: {error.Message}",
                    ["errorType"] = "Runtime.InitError",
                });
                return (new FunctionAnswer(false, body, Reported: false), null);
            case PoolErrorKind.QueueFull or PoolErrorKind.QuotaExceeded:
                return (null, LambdaError.TooManyRequests(error.Message));
            default:
                return (null, LambdaError.Unavailable($"No instance of the function is available: {error.Message}"));
        }
    }

    /// <summary>The body, "{}" when empty, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadPayloadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > limit)
            {
                return null;
            }

            body.Write(buffer, 0, read);
        }

        return body.Length == 0 ? "{}"u8.ToArray() : body.ToArray();
    }

    private static string? FindJsonProblem(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return null;
        }
        catch (JsonException ex)
        {
            return ex.Message;
        }
    }
}

/// <summary>The function's result (or error) JSON, and whether it succeeded.</summary>
/// <param name="Reported">The invocation ran, so END and REPORT lines follow it (not so when no instance could start).</param>
internal sealed record FunctionAnswer(bool Succeeded, ReadOnlyMemory<byte> Body, bool Reported);
