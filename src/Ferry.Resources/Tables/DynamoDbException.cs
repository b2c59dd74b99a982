using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables;

/// <summary>
/// An error in DynamoDB's JSON shape: <c>{"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": …}</c>, so
/// SDKs raise their usual exception classes (ResourceNotFoundException, ConditionalCheckFailedException…).
/// </summary>
public sealed class DynamoDbException(string type, string message, int status = 400) : Exception(message)
{
    private const string DynamoPrefix = "com.amazonaws.dynamodb.v20120810#";

    /// <summary>The full <c>__type</c>, namespace included.</summary>
    public string Type { get; } = type;

    public int Status { get; } = status;

    /// <summary>The code SDKs read (the part after '#').</summary>
    public string Code => Type[(Type.IndexOf('#') + 1)..];

    /// <summary>More members of the error body (TransactionCanceledException's CancellationReasons, a failed condition's Item).</summary>
    public JsonObject? Extra { get; init; }

    public static DynamoDbException Validation(string message) => new("com.amazon.coral.validate#ValidationException", message);

    public static DynamoDbException TableNotFound(string table) =>
        new(DynamoPrefix + "ResourceNotFoundException", $"Requested resource not found: Table: {table} not found");

    public static DynamoDbException ResourceNotFound(string message) => new(DynamoPrefix + "ResourceNotFoundException", message);

    public static DynamoDbException InUse(string message) => new(DynamoPrefix + "ResourceInUseException", message);

    public static DynamoDbException ConditionFailed() => new(DynamoPrefix + "ConditionalCheckFailedException", "The conditional request failed");

    public static DynamoDbException AccessDenied(string message) => new(DynamoPrefix + "AccessDeniedException", message);

    public static DynamoDbException UnrecognizedClient(string message) => new(DynamoPrefix + "UnrecognizedClientException", message);

    public static DynamoDbException InvalidSignature(string message) => new("com.amazon.coral.service#InvalidSignatureException", message);

    public static DynamoDbException MissingToken(string message) => new("com.amazon.coral.service#MissingAuthenticationTokenException", message);

    public static DynamoDbException UnknownOperation(string operation) =>
        new("com.amazon.coral.service#UnknownOperationException", $"The operation {operation} is not served by Ferry's DynamoDB-compatible tables (see docs/aws-compat.md)");

    public static DynamoDbException Serialization(string message) => new("com.amazon.coral.service#SerializationException", message);

    public static DynamoDbException LimitExceeded(string message) => new(DynamoPrefix + "LimitExceededException", message);

    public static DynamoDbException TransactionCanceled(IReadOnlyList<string?> reasons)
    {
        var codes = new JsonArray();
        foreach (var reason in reasons)
        {
            codes.Add(reason is null
                ? new JsonObject { ["Code"] = "None" }
                : new JsonObject { ["Code"] = "ConditionalCheckFailed", ["Message"] = reason });
        }

        var summary = string.Join(", ", reasons.Select(r => r is null ? "None" : "ConditionalCheckFailed"));
        return new DynamoDbException(DynamoPrefix + "TransactionCanceledException",
            $"Transaction cancelled, please refer cancellation reasons for specific reasons [{summary}]")
        {
            Extra = new JsonObject { ["CancellationReasons"] = codes },
        };
    }

    public static DynamoDbException Internal() => new(DynamoPrefix + "InternalServerError", "Internal server error", 500);
}
