using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Lambda;

/// <summary>
/// An error of the Lambda API in the shape AWS SDKs parse: the error code in the <c>x-amzn-ErrorType</c> header and
/// a body <c>{"Type":"User","message":"…"}</c>.
/// </summary>
internal sealed class LambdaError(int statusCode, string errorType, string message) : IResult
{
    public int StatusCode { get; } = statusCode;

    public string ErrorType { get; } = errorType;

    public string Message { get; } = message;

    public static LambdaError ResourceNotFound(string message) => new(StatusCodes.Status404NotFound, "ResourceNotFoundException", message);

    /// <summary>A path that is no Lambda operation Ferry serves.</summary>
    public static LambdaError NotFound(string message) => new(StatusCodes.Status404NotFound, "UnknownOperationException", message);

    public static LambdaError Validation(string message) => new(StatusCodes.Status400BadRequest, "ValidationException", message);

    public static LambdaError InvalidParameter(string message) => new(StatusCodes.Status400BadRequest, "InvalidParameterValueException", message);

    public static LambdaError InvalidContent(string message) => new(StatusCodes.Status400BadRequest, "InvalidRequestContentException", message);

    public static LambdaError TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, "RequestTooLargeException", message);

    public static LambdaError Unauthorized(string message) => new(StatusCodes.Status403Forbidden, "UnrecognizedClientException", message);

    public static LambdaError AccessDenied(string message) => new(StatusCodes.Status403Forbidden, "AccessDeniedException", message);

    public static LambdaError InvalidSignature(string message) => new(StatusCodes.Status403Forbidden, "InvalidSignatureException", message);

    public static LambdaError TooManyRequests(string message) => new(StatusCodes.Status429TooManyRequests, "TooManyRequestsException", message);

    public static LambdaError Conflict(string message) => new(StatusCodes.Status409Conflict, "ResourceConflictException", message);

    public static LambdaError Unavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, "ServiceException", message);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.Headers["x-amzn-ErrorType"] = ErrorType;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        json.WriteString("Type", StatusCode >= 500 ? "Service" : "User");
        json.WriteString("message", Message);
        json.WriteEndObject();
        await json.FlushAsync(httpContext.RequestAborted);
    }
}
