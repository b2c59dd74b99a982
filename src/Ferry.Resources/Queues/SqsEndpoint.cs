using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Resources.Buckets;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Ferry.Resources.Queues;

/// <summary>
/// The SQS API on the bucket endpoint (one address for the AWS services Ferry serves): the JSON protocol
/// (<c>X-Amz-Target: AmazonSQS.SendMessage</c>, as the AWS SDKs use today) and the query protocol (form POSTs with
/// <c>Action=…</c> to <c>/</c> or a queue URL, as boto3 before 1.34 and the SDK for JavaScript v2 use). Requests are
/// told from S3 requests by that header, or by a SigV4 credential scoped to the service <c>sqs</c>, and are signed
/// with the same keys as bucket requests.
/// </summary>
public sealed partial class SqsEndpoint
{
    public const string Service = "sqs";
    private const string TargetPrefix = "AmazonSQS.";
    private const string JsonContentType = "application/x-amz-json-1.0";

    private readonly SqsOperations _operations;
    private readonly ILogger _logger;

    public SqsEndpoint(QueueStore store, ILogger logger)
    {
        _operations = new SqsOperations(store);
        _logger = logger;
    }

    /// <summary>Whether the request is for SQS rather than S3.</summary>
    public static bool Handles(HttpRequest request) =>
        request.Headers["X-Amz-Target"].ToString().StartsWith(TargetPrefix, StringComparison.Ordinal)
        || (HttpMethods.IsPost(request.Method) && request.Headers.Authorization.ToString().Contains("/" + Service + "/aws4_request", StringComparison.Ordinal));

    public async Task HandleAsync(HttpContext context, string requestId)
    {
        var request = context.Request;
        var target = request.Headers["X-Amz-Target"].ToString();
        var json = target.StartsWith(TargetPrefix, StringComparison.Ordinal);
        var operation = json ? target[TargetPrefix.Length..] : "";
        var cancellationToken = context.RequestAborted;
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        try
        {
            var caller = await AuthenticateAsync(context);
            JsonObject input;
            var body = await ReadBodyAsync(request, cancellationToken);
            if (json)
            {
                input = ParseJson(body);
            }
            else
            {
                var form = new List<KeyValuePair<string, string>>();
                foreach (var (name, values) in QueryHelpers.ParseQuery(body))
                {
                    form.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v ?? "")));
                }

                (operation, input) = QueryProtocol.Parse(form);
                if (input["QueueUrl"] is null && QueueUrls.NameOf(request.Path.Value ?? "") is not null)
                {
                    // The query protocol sends queue operations to the queue's URL.
                    input["QueueUrl"] = request.Path.Value;
                }
            }

            var output = await _operations.InvokeAsync(operation, input, caller, cancellationToken);
            var answer = json ? JsonSerializer.SerializeToUtf8Bytes(output) : QueryProtocol.Response(operation, output, requestId);
            await WriteAsync(context, 200, json ? JsonContentType : "text/xml", answer);
        }
        catch (SqsException e)
        {
            LogRefused(_logger, operation, e.Code, e.Message);
            await WriteErrorAsync(context, e, json, requestId);
        }
        catch (BadHttpRequestException e)
        {
            await WriteErrorAsync(context, SqsException.InvalidParameter($"The request body could not be read: {e.Message}"), json, requestId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away (a long poll it gave up on).
        }
        catch (Exception e)
        {
            LogFailed(_logger, e, operation);
            await WriteErrorAsync(context, new SqsException("InternalFailure", "InternalFailure", 500, "The request processing has failed because of an unknown error.", senderFault: false), json, requestId);
        }
    }

    private static async Task<SqsCaller> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SigV4AuthenticationDefaults.AuthenticationScheme);
        if (result.None)
        {
            throw new SqsException("MissingAuthenticationToken", "MissingAuthenticationToken", 403, "Requests must be signed with AWS Signature Version 4 using a Ferry access key");
        }

        if (!result.Succeeded || context.Features.Get<SigV4SignatureFeature>() is not { Credential: BucketSigV4Credential credential } signature)
        {
            throw (result.Failure as SigV4AuthenticationException)?.Rejection switch
            {
                { Kind: SigV4RejectionKind.UnknownAccessKey } => new SqsException("InvalidClientTokenId", "InvalidClientTokenId", 403, "The security token included in the request is invalid."),
                { Kind: SigV4RejectionKind.InvalidSignature, Failure.Kind: SigV4FailureKind.SignatureDoesNotMatch } => new SqsException("SignatureDoesNotMatch", "SignatureDoesNotMatch", 403,
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."),
                { Kind: SigV4RejectionKind.BodyTooLarge } rejection => SqsException.InvalidParameter(rejection.Message),
                { } rejection => new SqsException("IncompleteSignature", "IncompleteSignature", 403, rejection.Message),
                null => SqsException.AccessDenied("The request could not be authenticated"),
            };
        }

        if (signature.Authorization.Service != Service)
        {
            throw new SqsException("IncompleteSignature", "IncompleteSignature", 403, $"Credential should be scoped to the service '{Service}', not '{signature.Authorization.Service}'");
        }

        var host = context.Request.Host.HasValue ? context.Request.Host.Value : "localhost";
        return new SqsCaller(credential.Bucket, $"http://{host}", signature.Authorization.Region);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // The SigV4 scheme has read (and bounded) the signed body already; it is buffered and rewound.
        using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static JsonObject ParseJson(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonObject
                ?? throw SqsException.InvalidParameter("The request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new SqsException("SerializationException", "SerializationException", 400, $"The request body is not valid JSON: {e.Message}");
        }
    }

    private static Task WriteErrorAsync(HttpContext context, SqsException error, bool json, string requestId)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        if (!json)
        {
            return WriteAsync(context, error.Status, "text/xml", QueryProtocol.Error(error, requestId));
        }

        context.Response.Headers["x-amzn-query-error"] = $"{error.QueryCode};{(error.SenderFault ? "Sender" : "Receiver")}";
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["__type"] = "com.amazonaws.sqs#" + error.Code, ["message"] = error.Message });
        return WriteAsync(context, error.Status, JsonContentType, body);
    }

    private static async Task WriteAsync(HttpContext context, int status, string contentType, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        try
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client is gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SQS {Operation} refused: {Code} {Message}")]
    private static partial void LogRefused(ILogger logger, string operation, string code, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQS {Operation} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string operation);
}
