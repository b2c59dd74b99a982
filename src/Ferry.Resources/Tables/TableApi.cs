using System.Text.Json.Nodes;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tables;

/// <summary>
/// DynamoDB's JSON 1.0 API (<c>X-Amz-Target: DynamoDB_20120810.Operation</c>) over <see cref="TableStore"/>, for one
/// caller's app stage at a time: table operations, item reads and writes with expressions, queries, scans, batches
/// and transactions. Legacy parameters (KeyConditions, AttributeUpdates…) are refused by name.
/// </summary>
public sealed partial class TableApi(TableStore store, string region)
{
    /// <summary>A Query or Scan page stops after this many bytes of items read, as on DynamoDB.</summary>
    public const int MaxPageBytes = 1024 * 1024;

    private static readonly string[] LegacyParameters =
        ["KeyConditions", "AttributeUpdates", "Expected", "QueryFilter", "ScanFilter", "AttributesToGet", "ConditionalOperator"];

    private static readonly HashSet<string> WriteOperations = new(StringComparer.Ordinal)
    {
        "CreateTable", "DeleteTable", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
    };

    public static IReadOnlyList<string> Operations { get; } =
    [
        "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "PutItem", "GetItem", "UpdateItem", "DeleteItem",
        "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
    ];

    public static bool IsWrite(string operation) => WriteOperations.Contains(operation);

    /// <exception cref="DynamoDbException">The request is invalid, refers to what doesn't exist, or a condition failed.</exception>
    public Task<JsonObject> HandleAsync(TableScope scope, string operation, JsonObject request, CancellationToken cancellationToken)
    {
        foreach (var legacy in LegacyParameters)
        {
            if (request.ContainsKey(legacy))
            {
                throw DynamoDbException.Validation(
                    $"The legacy parameter {legacy} is not supported by Ferry; use the expression parameters instead (KeyConditionExpression, UpdateExpression, ConditionExpression, FilterExpression, ProjectionExpression)");
            }
        }

        return operation switch
        {
            "CreateTable" => CreateTableAsync(scope, request, cancellationToken),
            "DescribeTable" => DescribeTableAsync(scope, request, cancellationToken),
            "DeleteTable" => DeleteTableAsync(scope, request, cancellationToken),
            "ListTables" => ListTablesAsync(scope, request, cancellationToken),
            "PutItem" => store.RunAsync(scope, session => PutItemAsync(session, request, cancellationToken), cancellationToken),
            "GetItem" => store.RunAsync(scope, session => GetItemAsync(session, request, cancellationToken), cancellationToken),
            "UpdateItem" => store.RunAsync(scope, session => UpdateItemAsync(session, request, cancellationToken), cancellationToken),
            "DeleteItem" => store.RunAsync(scope, session => DeleteItemAsync(session, request, cancellationToken), cancellationToken),
            "Query" => store.RunAsync(scope, session => QueryAsync(session, request, cancellationToken), cancellationToken),
            "Scan" => store.RunAsync(scope, session => ScanAsync(session, request, cancellationToken), cancellationToken),
            "BatchGetItem" => store.RunAsync(scope, session => BatchGetItemAsync(session, request, cancellationToken), cancellationToken),
            "BatchWriteItem" => store.RunAsync(scope, session => BatchWriteItemAsync(session, request, cancellationToken), cancellationToken),
            "TransactWriteItems" => store.RunAsync(scope, session => TransactWriteItemsAsync(session, request, cancellationToken), cancellationToken),
            "TransactGetItems" => store.RunAsync(scope, session => TransactGetItemsAsync(session, request, cancellationToken), cancellationToken),
            _ => throw DynamoDbException.UnknownOperation(operation),
        };
    }

    private static string? OptionalString(JsonObject request, string field) => request[field] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw DynamoDbException.Serialization($"{field} must be a string"),
    };

    private static int? OptionalInt(JsonObject request, string field, int min, int max)
    {
        if (request[field] is null)
        {
            return null;
        }

        if (request[field] is not JsonValue value || !value.TryGetValue<int>(out var number) || number < min || number > max)
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must be a number between {min} and {max}");
        }

        return number;
    }

    private static bool? OptionalBool(JsonObject request, string field) => request[field] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        _ => throw DynamoDbException.Serialization($"{field} must be true or false"),
    };

    private static string Choice(JsonObject request, string field, string fallback, params string[] allowed)
    {
        var value = OptionalString(request, field) ?? fallback;
        return allowed.Contains(value)
            ? value
            : throw DynamoDbException.Validation($"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", allowed)}]");
    }

    /// <summary>A request's condition (ConditionExpression), if any.</summary>
    private static Condition? ConditionOf(JsonObject request, ExpressionAttributes attributes, string field = "ConditionExpression") =>
        OptionalString(request, field) is { } text ? ExpressionParser.ParseCondition(text, attributes, field) : null;

    private static IReadOnlyList<DocumentPath>? ProjectionOf(JsonObject request, ExpressionAttributes attributes) =>
        OptionalString(request, "ProjectionExpression") is { } text ? ExpressionParser.ParseProjection(text, attributes) : null;

    private static JsonObject Project(JsonObject item, IReadOnlyList<DocumentPath>? projection) =>
        projection is null ? item : ExpressionEvaluator.Project(projection, item);
}
