using System.Text.Json.Nodes;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tables;

public sealed partial class TableApi
{
    private const int MaxBatchGetKeys = 100;
    private const int MaxBatchWrites = 25;
    private const int MaxTransactionItems = 100;

    private async Task<JsonObject> BatchGetItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var tables = request["RequestItems"] as JsonObject ?? throw DynamoDbException.Validation("RequestItems is required: a map of table names to {Keys: [...]}");
        var total = tables.Sum(t => (t.Value?["Keys"] as JsonArray)?.Count ?? 0);
        if (total is 0 or > MaxBatchGetKeys)
        {
            throw DynamoDbException.Validation($"Too many items requested for the BatchGetItem call: {total} keys; a call reads 1 to {MaxBatchGetKeys}");
        }

        var responses = new JsonObject();
        foreach (var (name, spec) in tables)
        {
            var table = await session.RequireTableAsync(name, cancellationToken);
            var specification = spec as JsonObject ?? throw DynamoDbException.Validation($"RequestItems.{name} must be an object with Keys");
            var attributes = ExpressionAttributes.From(specification);
            var projection = ProjectionOf(specification, attributes);
            attributes.CheckAllUsed();
            var found = new JsonArray();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var keyNode in specification["Keys"] as JsonArray ?? throw DynamoDbException.Validation($"RequestItems.{name}.Keys must be a list of keys"))
            {
                var (key, _) = ItemKeys.FromKey(table.Definition, keyNode, $"RequestItems.{name}.Keys");
                if (!seen.Add(Convert.ToHexString(key.Partition) + "/" + Convert.ToHexString(key.Sort)))
                {
                    throw DynamoDbException.Validation("Provided list of item keys contains duplicates");
                }

                if (await session.GetItemAsync(table, key, cancellationToken) is { } item)
                {
                    found.Add(Project(item, projection).DeepClone());
                }
            }

            responses[name] = found;
        }

        return new JsonObject { ["Responses"] = responses, ["UnprocessedKeys"] = new JsonObject() };
    }

    /// <summary>Every put and delete of the batch, in one transaction here (DynamoDB does not promise that; it does no harm).</summary>
    private async Task<JsonObject> BatchWriteItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var tables = request["RequestItems"] as JsonObject ?? throw DynamoDbException.Validation("RequestItems is required: a map of table names to lists of PutRequest/DeleteRequest");
        var total = tables.Sum(t => (t.Value as JsonArray)?.Count ?? 0);
        if (total is 0 or > MaxBatchWrites)
        {
            throw DynamoDbException.Validation($"Too many items requested for the BatchWriteItem call: {total} requests; a call makes 1 to {MaxBatchWrites}");
        }

        var writes = new List<(StoredTable Table, ItemKey Key, JsonObject? Item)>();
        foreach (var (name, list) in tables)
        {
            var table = await session.RequireTableAsync(name, cancellationToken);
            foreach (var entry in list as JsonArray ?? throw DynamoDbException.Validation($"RequestItems.{name} must be a list"))
            {
                if (entry?["PutRequest"]?["Item"] is { } itemNode)
                {
                    var item = AttributeValues.CheckItem(itemNode, $"RequestItems.{name}.PutRequest.Item");
                    writes.Add((table, ItemKeys.Of(table.Definition, item), item));
                }
                else if (entry?["DeleteRequest"]?["Key"] is { } keyNode)
                {
                    writes.Add((table, ItemKeys.FromKey(table.Definition, keyNode, $"RequestItems.{name}.DeleteRequest.Key").Key, null));
                }
                else
                {
                    throw DynamoDbException.Validation($"RequestItems.{name}: each request is {{PutRequest: {{Item}}}} or {{DeleteRequest: {{Key}}}}");
                }
            }
        }

        if (writes.GroupBy(w => (w.Table.Id, Convert.ToHexString(w.Key.Partition), Convert.ToHexString(w.Key.Sort))).Any(g => g.Count() > 1))
        {
            throw DynamoDbException.Validation("Provided list of item keys contains duplicates");
        }

        foreach (var (table, key, item) in writes)
        {
            if (item is null)
            {
                await session.DeleteItemAsync(table, key, cancellationToken);
            }
            else
            {
                await session.PutItemAsync(table, item, cancellationToken);
            }
        }

        return new JsonObject { ["UnprocessedItems"] = new JsonObject() };
    }

    /// <summary>All or nothing: every condition is checked first; if one fails nothing is written and each item's reason is reported.</summary>
    private async Task<JsonObject> TransactWriteItemsAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var entries = TransactItems(request);
        var writes = new List<ItemWrite>();
        foreach (var entry in entries)
        {
            var (kind, body) = entry as JsonObject is { Count: 1 } single ? single.First() : default;
            if (kind is not ("ConditionCheck" or "Put" or "Delete" or "Update") || body is not JsonObject operation)
            {
                throw DynamoDbException.Validation("TransactItems: each entry is one of {ConditionCheck}, {Put}, {Delete} or {Update}");
            }

            writes.Add(await ParseWriteAsync(session, kind, operation, cancellationToken));
        }

        if (writes.GroupBy(w => (w.Table.Id, Convert.ToHexString(w.Key.Partition), Convert.ToHexString(w.Key.Sort))).Any(g => g.Count() > 1))
        {
            throw DynamoDbException.Validation("Transaction request cannot include multiple operations on one item");
        }

        var olds = new List<JsonObject?>();
        var reasons = new List<string?>();
        foreach (var write in writes)
        {
            var (old, holds) = await CheckAsync(session, write, cancellationToken);
            olds.Add(old);
            reasons.Add(holds ? null : "The conditional request failed");
        }

        if (reasons.Any(r => r is not null))
        {
            var canceled = DynamoDbException.TransactionCanceled(reasons);
            for (var i = 0; i < writes.Count; i++)
            {
                if (reasons[i] is not null && writes[i].ReturnOldOnFailure && olds[i] is { } old)
                {
                    canceled.Extra!["CancellationReasons"]![i]!["Item"] = old.DeepClone();
                }
            }

            throw canceled;
        }

        for (var i = 0; i < writes.Count; i++)
        {
            await ApplyAsync(session, writes[i], olds[i], cancellationToken);
        }

        return new JsonObject();
    }

    private async Task<JsonObject> TransactGetItemsAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var responses = new JsonArray();
        foreach (var entry in TransactItems(request))
        {
            if (entry?["Get"] is not JsonObject get)
            {
                throw DynamoDbException.Validation("TransactGetItems: each entry is {Get: {TableName, Key, ProjectionExpression?}}");
            }

            var table = await session.RequireTableAsync(OptionalString(get, "TableName"), cancellationToken);
            var (key, _) = ItemKeys.FromKey(table.Definition, get["Key"]);
            var attributes = ExpressionAttributes.From(get);
            var projection = ProjectionOf(get, attributes);
            attributes.CheckAllUsed();
            var item = await session.GetItemAsync(table, key, cancellationToken);
            responses.Add(item is null ? new JsonObject() : new JsonObject { ["Item"] = Project(item, projection).DeepClone() });
        }

        return new JsonObject { ["Responses"] = responses };
    }

    private static JsonArray TransactItems(JsonObject request)
    {
        var items = request["TransactItems"] as JsonArray ?? throw DynamoDbException.Validation("TransactItems is required");
        return items.Count is 0 or > MaxTransactionItems
            ? throw DynamoDbException.Validation($"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and {MaxTransactionItems}")
            : items;
    }
}
