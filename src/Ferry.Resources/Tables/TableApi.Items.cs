using System.Text.Json.Nodes;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tables;

public sealed partial class TableApi
{
    /// <summary>A parsed write of one item (PutItem, UpdateItem, DeleteItem or a transaction's ConditionCheck).</summary>
    /// <param name="Item">PutItem's new item.</param>
    /// <param name="Update">UpdateItem's actions.</param>
    private sealed record ItemWrite(
        string Kind, StoredTable Table, ItemKey Key, JsonObject KeyAttributes, JsonObject? Item, IReadOnlyList<UpdateClause>? Update, Condition? Condition,
        bool ReturnOldOnFailure);

    private async Task<ItemWrite> ParseWriteAsync(TableSession session, string kind, JsonObject request, CancellationToken cancellationToken)
    {
        var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
        var attributes = ExpressionAttributes.From(request);
        var condition = ConditionOf(request, attributes);
        JsonObject? item = null;
        IReadOnlyList<UpdateClause>? update = null;
        ItemKey key;
        JsonObject keyAttributes;
        if (kind == "Put")
        {
            item = AttributeValues.CheckItem(request["Item"] ?? throw DynamoDbException.Validation("Item is required"), "Item");
            key = ItemKeys.Of(table.Definition, item);
            keyAttributes = ItemKeys.KeyAttributes(table.Definition, null, item);
        }
        else
        {
            (key, keyAttributes) = ItemKeys.FromKey(table.Definition, request["Key"]);
            if (kind == "Update")
            {
                update = OptionalString(request, "UpdateExpression") is { } text
                    ? ExpressionParser.ParseUpdate(text, attributes)
                    : throw DynamoDbException.Validation("UpdateExpression is required (the legacy AttributeUpdates is not supported)");
                if (update.FirstOrDefault(c => table.Definition.Key.Attributes.Contains(c.Path.TopName)) is { } keyUpdate)
                {
                    throw DynamoDbException.Validation($"One or more parameter values were invalid: Cannot update attribute {keyUpdate.Path.TopName}. This attribute is part of the key");
                }
            }
            else if (kind == "ConditionCheck" && condition is null)
            {
                throw DynamoDbException.Validation("ConditionCheck needs a ConditionExpression");
            }
        }

        attributes.CheckAllUsed();
        var returnOld = Choice(request, "ReturnValuesOnConditionCheckFailure", "NONE", "NONE", "ALL_OLD") == "ALL_OLD";
        return new ItemWrite(kind, table, key, keyAttributes, item, update, condition, returnOld);
    }

    /// <summary>The item before, after checking the write's condition (null when the condition holds).</summary>
    private static async Task<(JsonObject? Old, bool ConditionHolds)> CheckAsync(TableSession session, ItemWrite write, CancellationToken cancellationToken)
    {
        var old = await session.GetItemAsync(write.Table, write.Key, cancellationToken);
        return (old, write.Condition is null || ExpressionEvaluator.Matches(write.Condition, old));
    }

    /// <summary>Performs a write whose condition holds; returns the new item (null after a delete or a condition check).</summary>
    private static async Task<JsonObject?> ApplyAsync(TableSession session, ItemWrite write, JsonObject? old, CancellationToken cancellationToken)
    {
        switch (write.Kind)
        {
            case "Put":
                await session.PutItemAsync(write.Table, write.Item!, cancellationToken);
                return write.Item;
            case "Update":
                var updated = ExpressionEvaluator.Apply(write.Update!, old ?? (JsonObject)write.KeyAttributes.DeepClone());
                await session.PutItemAsync(write.Table, updated, cancellationToken);
                return updated;
            case "Delete":
                if (old is not null)
                {
                    await session.DeleteItemAsync(write.Table, write.Key, cancellationToken);
                }

                return null;
            default:
                return null;
        }
    }

    private static DynamoDbException ConditionFailed(ItemWrite write, JsonObject? old)
    {
        var error = DynamoDbException.ConditionFailed();
        return write.ReturnOldOnFailure && old is not null ? new DynamoDbException(error.Type, error.Message) { Extra = new JsonObject { ["Item"] = old } } : error;
    }

    private async Task<JsonObject> WriteOneAsync(TableSession session, string kind, JsonObject request, string[] returnChoices, CancellationToken cancellationToken)
    {
        var returnValues = Choice(request, "ReturnValues", "NONE", returnChoices);
        var write = await ParseWriteAsync(session, kind, request, cancellationToken);
        var (old, holds) = await CheckAsync(session, write, cancellationToken);
        if (!holds)
        {
            throw ConditionFailed(write, old);
        }

        var updated = await ApplyAsync(session, write, old, cancellationToken);
        var changed = write.Update?.Select(c => c.Path).ToList();
        JsonObject? returned = returnValues switch
        {
            "ALL_OLD" => old,
            "ALL_NEW" => updated,
            "UPDATED_OLD" => old is null ? null : ExpressionEvaluator.Project(changed!, old),
            "UPDATED_NEW" => updated is null ? null : ExpressionEvaluator.Project(changed!, updated),
            _ => null,
        };
        var response = new JsonObject();
        if (returned is { Count: > 0 })
        {
            response["Attributes"] = returned.DeepClone();
        }

        return response;
    }

    private Task<JsonObject> PutItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken) =>
        WriteOneAsync(session, "Put", request, ["NONE", "ALL_OLD"], cancellationToken);

    private Task<JsonObject> UpdateItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken) =>
        WriteOneAsync(session, "Update", request, ["NONE", "ALL_OLD", "UPDATED_OLD", "UPDATED_NEW", "ALL_NEW"], cancellationToken);

    private Task<JsonObject> DeleteItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken) =>
        WriteOneAsync(session, "Delete", request, ["NONE", "ALL_OLD"], cancellationToken);

    private async Task<JsonObject> GetItemAsync(TableSession session, JsonObject request, CancellationToken cancellationToken)
    {
        var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
        var (key, _) = ItemKeys.FromKey(table.Definition, request["Key"]);
        var attributes = ExpressionAttributes.From(request);
        var projection = ProjectionOf(request, attributes);
        attributes.CheckAllUsed();
        var item = await session.GetItemAsync(table, key, cancellationToken);
        var response = new JsonObject();
        if (item is not null)
        {
            response["Item"] = Project(item, projection);
        }

        return response;
    }
}
