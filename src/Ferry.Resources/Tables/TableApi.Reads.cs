using System.Text.Json.Nodes;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tables;

public sealed partial class TableApi
{
    private async Task<JsonObject> QueryAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
        var index = IndexOf(table, request);
        var attributes = ExpressionAttributes.From(request);
        var keyText = OptionalString(request, "KeyConditionExpression")
            ?? throw DynamoDbException.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request (Ferry supports KeyConditionExpression)");
        var keyCondition = KeyCondition.From(ExpressionParser.ParseCondition(keyText, attributes, "KeyConditionExpression"), table.Definition, index?.Key ?? table.Definition.Key);
        var forward = OptionalBool(request, "ScanIndexForward") ?? true;
        return await ReadPageAsync(session, table, index, request, attributes, keyCondition.Partition, keyCondition.Range, forward, cancellationToken);
    }

    private async Task<JsonObject> ScanAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
        var index = IndexOf(table, request);
        var attributes = ExpressionAttributes.From(request);
        return await ReadPageAsync(session, table, index, request, attributes, null, SortRange.All, forward: true, cancellationToken);
    }

    private static TableIndex? IndexOf(StoredTable table, JsonObject request) =>
        OptionalString(request, "IndexName") is { } name
            ? table.Definition.Index(name) ?? throw DynamoDbException.Validation($"The table does not have the specified index: {name}")
            : null;

    /// <summary>One page of a Query (one partition) or a Scan (null partition): Limit and 1 MB bound what is read; the filter then picks.</summary>
    private static async Task<JsonObject> ReadPageAsync(TableSession session, StoredTable table, TableIndex? index, JsonObject request, ExpressionAttributes attributes,
        byte[]? partition, SortRange range, bool forward, CancellationToken cancellationToken)
    {
        var filter = ConditionOf(request, attributes, "FilterExpression");
        var projection = ProjectionOf(request, attributes);
        attributes.CheckAllUsed();
        var limit = OptionalInt(request, "Limit", 1, int.MaxValue);
        var select = Choice(request, "Select", projection is not null ? "SPECIFIC_ATTRIBUTES" : index is { Projection: not "ALL" } ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES",
            "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT");
        if (select == "SPECIFIC_ATTRIBUTES" && projection is null)
        {
            throw DynamoDbException.Validation("Select SPECIFIC_ATTRIBUTES needs a ProjectionExpression");
        }

        if (projection is not null && select != "SPECIFIC_ATTRIBUTES")
        {
            throw DynamoDbException.Validation($"Cannot specify the ProjectionExpression when choosing to get {select}");
        }

        if (select == "ALL_ATTRIBUTES" && index is { Projection: not "ALL" })
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for index {index.Name}, whose projection is {index.Projection}");
        }

        var segments = OptionalInt(request, "TotalSegments", 1, 1_000_000);
        var segment = OptionalInt(request, "Segment", 0, 999_999);
        if ((segments is null) != (segment is null) || segment >= segments)
        {
            throw DynamoDbException.Validation("Segment and TotalSegments go together, with 0 <= Segment < TotalSegments");
        }

        var after = StartOf(table, index, request["ExclusiveStartKey"]);
        var items = new JsonArray();
        var scanned = 0;
        var count = 0;
        long bytes = 0;
        JsonObject? lastKey = null;
        await foreach (var stored in session.ReadAsync(table, index, partition, range, forward, after, cancellationToken))
        {
            if (segments is { } total && SegmentOf(ItemKeys.Of(table.Definition, stored).Partition, total) != segment)
            {
                continue;
            }

            scanned++;
            bytes += AttributeValues.ItemSize(stored);
            var item = index is null ? stored : IndexProjection(table.Definition, index, stored);
            if (filter is null || ExpressionEvaluator.Matches(filter, item))
            {
                count++;
                if (select != "COUNT")
                {
                    items.Add(Project(item, projection).DeepClone());
                }
            }

            if (scanned == limit || bytes >= MaxPageBytes)
            {
                lastKey = ItemKeys.KeyAttributes(table.Definition, index, stored);
                break;
            }
        }

        var response = new JsonObject { ["Count"] = count, ["ScannedCount"] = scanned };
        if (select != "COUNT")
        {
            response["Items"] = items;
        }

        if (lastKey is not null)
        {
            response["LastEvaluatedKey"] = lastKey;
        }

        return response;
    }

    /// <summary>An item as an index holds it: the table's and the index's keys, plus the index's projected attributes.</summary>
    private static JsonObject IndexProjection(TableDefinition table, TableIndex index, JsonObject item)
    {
        if (index.Projection == "ALL")
        {
            return item;
        }

        var kept = table.Key.Attributes.Concat(index.Key.Attributes).Concat(index.Projection == "INCLUDE" ? index.NonKeyAttributes : []).ToHashSet(StringComparer.Ordinal);
        var projected = new JsonObject();
        foreach (var (name, value) in item)
        {
            if (kept.Contains(name))
            {
                projected[name] = value!.DeepClone();
            }
        }

        return projected;
    }

    private static ReadPosition? StartOf(StoredTable table, TableIndex? index, JsonNode? exclusiveStartKey)
    {
        if (exclusiveStartKey is null)
        {
            return null;
        }

        var start = AttributeValues.CheckItem(exclusiveStartKey, "ExclusiveStartKey");
        var expected = table.Definition.Key.Attributes.Concat(index?.Key.Attributes ?? []).ToHashSet(StringComparer.Ordinal);
        if (start.Count != expected.Count || start.Any(a => !expected.Contains(a.Key)))
        {
            throw DynamoDbException.Validation($"The provided starting key is invalid: ExclusiveStartKey must hold exactly [{string.Join(", ", expected)}] (pass the LastEvaluatedKey of the previous page)");
        }

        var item = ItemKeys.Of(table.Definition, start);
        var indexKey = index is null ? null : ItemKeys.OfIndex(table.Definition, index, start);
        return new ReadPosition(indexKey?.Partition, indexKey?.Sort, item);
    }

    /// <summary>The parallel-scan segment of a partition key (FNV-1a of its bytes).</summary>
    private static int SegmentOf(byte[] partition, int totalSegments)
    {
        var hash = 2166136261u;
        foreach (var b in partition)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)totalSegments);
    }
}
