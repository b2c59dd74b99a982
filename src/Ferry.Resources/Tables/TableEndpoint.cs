using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Resources.Buckets;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Resources.Tables;

/// <summary>
/// Serves DynamoDB requests (<c>X-Amz-Target: DynamoDB_20120810.*</c>) on the bucket endpoint: the request must be
/// SigV4-signed for the service <c>dynamodb</c> with a key that reaches an app stage's tables (a function's key), and
/// reaches that app stage's tables only. Answers and errors are DynamoDB's JSON 1.0.
/// </summary>
internal sealed partial class TableEndpoint(TableApi api, Func<string, S3Exception?>? writeAdmission, ILogger logger)
{
    public const string TargetPrefix = "DynamoDB_20120810.";
    private const string ContentType = "application/x-amz-json-1.0";

    public static bool Handles(HttpRequest request) =>
        request.Headers["X-Amz-Target"].ToString().StartsWith(TargetPrefix, StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context, string requestId)
    {
        var cancellationToken = context.RequestAborted;
        var operation = context.Request.Headers["X-Amz-Target"].ToString()[TargetPrefix.Length..];
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        try
        {
            var scope = await AuthenticateAsync(context);
            if (TableApi.IsWrite(operation) && writeAdmission?.Invoke(scope.Tenant) is { } refused)
            {
                throw DynamoDbException.LimitExceeded(refused.Message);
            }

            var request = await ReadRequestAsync(context, cancellationToken);
            var response = await api.HandleAsync(scope, operation, request, cancellationToken);
            await WriteAsync(context, StatusCodes.Status200OK, response);
        }
        catch (DynamoDbException e)
        {
            LogRefused(logger, operation, e.Code, e.Message);
            var body = new JsonObject { ["__type"] = e.Type, ["message"] = e.Message };
            foreach (var (name, value) in e.Extra ?? [])
            {
                body[name] = value?.DeepClone();
            }

            await WriteAsync(context, e.Status, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            LogFailed(logger, e, operation);
            var error = DynamoDbException.Internal();
            await WriteAsync(context, error.Status, new JsonObject { ["__type"] = error.Type, ["message"] = error.Message });
        }
    }

    private static async Task<TableScope> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SigV4AuthenticationDefaults.AuthenticationScheme);
        if (result.None)
        {
            throw DynamoDbException.MissingToken("Request is missing Authentication Token: sign requests with AWS Signature Version 4 (service 'dynamodb') using a function's credentials");
        }

        if (!result.Succeeded || context.Features.Get<SigV4SignatureFeature>() is not { Credential: BucketSigV4Credential credential } signature)
        {
            var rejection = (result.Failure as SigV4AuthenticationException)?.Rejection;
            throw rejection?.Kind switch
            {
                SigV4RejectionKind.UnknownAccessKey => DynamoDbException.UnrecognizedClient("The security token included in the request is invalid."),
                SigV4RejectionKind.BodyTooLarge => DynamoDbException.Validation($"Request size exceeded: {rejection.Message}"),
                _ => DynamoDbException.InvalidSignature($"The request signature we calculated does not match the signature you provided: {rejection?.Message ?? "the request could not be authenticated"}"),
            };
        }

        if (signature.Authorization.Service != "dynamodb")
        {
            throw DynamoDbException.InvalidSignature($"Credential should be scoped to the service 'dynamodb', not '{signature.Authorization.Service}'");
        }

        return credential.Bucket.Tables ?? throw DynamoDbException.AccessDenied(
            "This access key reaches no tables: tables belong to an app stage and are reached with the credentials Ferry gives that app stage's functions");
    }

    private static async Task<JsonObject> ReadRequestAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // The SigV4 scheme has read (and bounded) the signed body already; it is buffered.
        try
        {
            var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: cancellationToken);
            return node as JsonObject ?? throw DynamoDbException.Serialization("The request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw DynamoDbException.Serialization($"The request body is not valid JSON: {e.Message}");
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = bytes.Length;
        try
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client is gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "DynamoDB {Operation} refused: {Code} {Message}")]
    private static partial void LogRefused(ILogger logger, string operation, string code, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "DynamoDB {Operation} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string operation);
}
