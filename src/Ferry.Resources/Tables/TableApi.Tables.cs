using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables;

public sealed partial class TableApi
{
    private const int MaxTablesPerAppStage = 256;

    private Task<JsonObject> CreateTableAsync(TableScope scope, JsonObject request, CancellationToken cancellationToken)
    {
        var definition = TableDefinition.FromRequest(request);
        return store.RunAsync(scope, async session =>
        {
            if (await session.FindTableAsync(definition.Name, cancellationToken) is not null)
            {
                throw DynamoDbException.InUse($"Table already exists: {definition.Name}");
            }

            if ((await session.ListTableNamesAsync(null, MaxTablesPerAppStage, cancellationToken)).Count >= MaxTablesPerAppStage)
            {
                throw DynamoDbException.LimitExceeded($"An app stage has at most {MaxTablesPerAppStage} tables");
            }

            var table = await session.CreateTableAsync(definition, DateTimeOffset.UtcNow, cancellationToken);
            return new JsonObject { ["TableDescription"] = await DescribeAsync(session, table, "ACTIVE", cancellationToken) };
        }, cancellationToken);
    }

    private Task<JsonObject> DescribeTableAsync(TableScope scope, JsonObject request, CancellationToken cancellationToken) =>
        store.RunAsync(scope, async session =>
        {
            var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
            return new JsonObject { ["Table"] = await DescribeAsync(session, table, "ACTIVE", cancellationToken) };
        }, cancellationToken);

    private Task<JsonObject> DeleteTableAsync(TableScope scope, JsonObject request, CancellationToken cancellationToken) =>
        store.RunAsync(scope, async session =>
        {
            var table = await session.RequireTableAsync(OptionalString(request, "TableName"), cancellationToken);
            var description = await DescribeAsync(session, table, "DELETING", cancellationToken);
            await session.DeleteTableAsync(table, cancellationToken);
            return new JsonObject { ["TableDescription"] = description };
        }, cancellationToken);

    private Task<JsonObject> ListTablesAsync(TableScope scope, JsonObject request, CancellationToken cancellationToken)
    {
        var limit = OptionalInt(request, "Limit", 1, 100) ?? 100;
        var after = OptionalString(request, "ExclusiveStartTableName");
        return store.RunAsync(scope, async session =>
        {
            var names = await session.ListTableNamesAsync(after, limit + 1, cancellationToken);
            var page = names.Take(limit).ToList();
            var response = new JsonObject { ["TableNames"] = new JsonArray([.. page.Select(n => (JsonNode)n)]) };
            if (names.Count > limit)
            {
                response["LastEvaluatedTableName"] = page[^1];
            }

            return response;
        }, cancellationToken);
    }

    private async Task<JsonObject> DescribeAsync(TableSession session, StoredTable table, string status, CancellationToken cancellationToken)
    {
        var (items, bytes, indexItems) = await session.CountAsync(table, cancellationToken);
        return table.Definition.Describe(status, table.Created, items, bytes, region, indexItems);
    }
}
