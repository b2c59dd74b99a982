using System.Text.Json.Nodes;
using Ferry.Resources.Tables;

namespace Ferry.Resources.Tests.Tables;

/// <summary>The API over the SQLite store, without HTTP: index maintenance, transactions, limits, provisioning, isolation.</summary>
public sealed class TableStoreTests : IDisposable
{
    private static readonly TableScope Scope = new("acme", "shop", "dev", "us-east-1");
    private readonly string directory = Directory.CreateTempSubdirectory("ferry-table-store-").FullName;
    private readonly TableStore store;
    private readonly TableApi api;

    public TableStoreTests()
    {
        store = new TableStore(Path.Combine(directory, "tables"));
        api = new TableApi(store, "us-east-1");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    private Task<JsonObject> CallAsync(string operation, string json, TableScope? scope = null) =>
        api.HandleAsync(scope ?? Scope, operation, (JsonObject)JsonNode.Parse(json)!, CancellationToken.None);

    private static readonly string UsersTable = """
        {"TableName": "users",
         "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "email", "AttributeType": "S"}],
         "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
         "GlobalSecondaryIndexes": [{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]}
        """;

    private async Task<List<string>> ByEmailAsync(string email)
    {
        var response = await CallAsync("Query", $$$$"""
            {"TableName": "users", "IndexName": "by-email", "KeyConditionExpression": "email = :e", "ExpressionAttributeValues": {":e": {"S": "{{{{email}}}}"}}}
            """);
        return [.. response["Items"]!.AsArray().Select(i => i!["id"]!["S"]!.GetValue<string>())];
    }

    [Fact]
    public async Task Index_entries_follow_every_write_of_an_item()
    {
        await CallAsync("CreateTable", UsersTable);
        await CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "u1"}, "email": {"S": "a@x"}}}""");
        await CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "u2"}}}"""); // sparse: not in the index
        Assert.Equal(["u1"], await ByEmailAsync("a@x"));

        await CallAsync("UpdateItem", """{"TableName": "users", "Key": {"id": {"S": "u1"}}, "UpdateExpression": "SET email = :e", "ExpressionAttributeValues": {":e": {"S": "b@x"}}}""");
        Assert.Empty(await ByEmailAsync("a@x"));
        Assert.Equal(["u1"], await ByEmailAsync("b@x"));

        await CallAsync("DeleteItem", """{"TableName": "users", "Key": {"id": {"S": "u1"}}}""");
        Assert.Empty(await ByEmailAsync("b@x"));

        var wrongType = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "u3"}, "email": {"N": "1"}}}"""));
        Assert.Contains("Type mismatch for key email", wrongType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_transaction_writes_nothing_and_reports_each_reason()
    {
        await CallAsync("CreateTable", UsersTable);
        await CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "u1"}, "credits": {"N": "5"}}}""");

        var error = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("TransactWriteItems", """
            {"TransactItems": [
              {"Update": {"TableName": "users", "Key": {"id": {"S": "u1"}}, "UpdateExpression": "SET credits = credits - :n", "ConditionExpression": "credits >= :n", "ExpressionAttributeValues": {":n": {"N": "10"}}}},
              {"Put": {"TableName": "users", "Item": {"id": {"S": "u2"}}}}]}
            """));
        Assert.Equal("TransactionCanceledException", error.Code);
        Assert.Equal("""[{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"},{"Code":"None"}]""", error.Extra!["CancellationReasons"]!.ToJsonString());
        Assert.False((await CallAsync("GetItem", """{"TableName": "users", "Key": {"id": {"S": "u2"}}}""")).ContainsKey("Item"));

        var twice = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("TransactWriteItems", """
            {"TransactItems": [{"Put": {"TableName": "users", "Item": {"id": {"S": "u9"}}}}, {"Delete": {"TableName": "users", "Key": {"id": {"S": "u9"}}}}]}
            """));
        Assert.Contains("multiple operations on one item", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Items_over_400_kb_are_refused_and_keys_are_checked()
    {
        await CallAsync("CreateTable", UsersTable);
        var big = new string('x', 400 * 1024);
        var error = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("PutItem", $$$$"""{"TableName": "users", "Item": {"id": {"S": "u1"}, "blob": {"S": "{{{{big}}}}"}}}"""));
        Assert.Contains("maximum allowed size", error.Message, StringComparison.Ordinal);

        var extra = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("GetItem", """{"TableName": "users", "Key": {"id": {"S": "u1"}, "x": {"S": "y"}}}"""));
        Assert.Contains("does not match the schema", extra.Message, StringComparison.Ordinal);
        var empty = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": ""}}}"""));
        Assert.Contains("empty string", empty.Message, StringComparison.Ordinal);
        var inUse = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("CreateTable", UsersTable));
        Assert.Equal("ResourceInUseException", inUse.Code);
    }

    [Fact]
    public async Task Numeric_sort_keys_query_in_numeric_order_with_begins_with_on_strings()
    {
        await CallAsync("CreateTable", """
            {"TableName": "scores", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "n", "AttributeType": "N"}],
             "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}]}
            """);
        foreach (var n in new[] { "100", "-3.5", "20", "0", "1e-5", "-100" })
        {
            await CallAsync("PutItem", $$$$"""{"TableName": "scores", "Item": {"g": {"S": "a"}, "n": {"N": "{{{{n}}}}"}}}""");
        }

        var response = await CallAsync("Query", """
            {"TableName": "scores", "KeyConditionExpression": "g = :g AND n > :low", "ExpressionAttributeValues": {":g": {"S": "a"}, ":low": {"N": "-50"}}}
            """);
        Assert.Equal(["-3.5", "0", "0.00001", "20", "100"], response["Items"]!.AsArray().Select(i => i!["n"]!["N"]!.GetValue<string>()));

        var begins = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("Query", """
            {"TableName": "scores", "KeyConditionExpression": "g = :g AND begins_with(n, :p)", "ExpressionAttributeValues": {":g": {"S": "a"}, ":p": {"N": "1"}}}
            """));
        Assert.Contains("begins_with takes a string or binary sort key", begins.Message, StringComparison.Ordinal);
        var noPartition = await Assert.ThrowsAsync<DynamoDbException>(() => CallAsync("Query", """
            {"TableName": "scores", "KeyConditionExpression": "n > :low", "ExpressionAttributeValues": {":low": {"N": "1"}}}
            """));
        Assert.Contains("missed key schema element: g", noPartition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provisioning_is_idempotent_adds_indexes_over_existing_items_and_refuses_key_changes()
    {
        var withoutIndex = (JsonObject)JsonNode.Parse(UsersTable)!;
        withoutIndex.Remove("GlobalSecondaryIndexes");
        withoutIndex["AttributeDefinitions"]!.AsArray().RemoveAt(1);
        await store.EnsureTableAsync(Scope, withoutIndex, CancellationToken.None);
        await store.EnsureTableAsync(Scope, withoutIndex, CancellationToken.None);
        await CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "u1"}, "email": {"S": "a@x"}}}""");

        await store.EnsureTableAsync(Scope, (JsonObject)JsonNode.Parse(UsersTable)!, CancellationToken.None);
        Assert.Equal(["u1"], await ByEmailAsync("a@x"));

        var otherKey = (JsonObject)JsonNode.Parse("""
            {"TableName": "users", "AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}
            """)!;
        var error = await Assert.ThrowsAsync<DynamoDbException>(() => store.EnsureTableAsync(Scope, otherKey, CancellationToken.None));
        Assert.Contains("key schema can't change", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_stages_have_separate_databases_and_deleting_one_leaves_the_other()
    {
        var prod = Scope with { Stage = "prod" };
        await CallAsync("CreateTable", UsersTable);
        await CallAsync("CreateTable", UsersTable, prod);
        await CallAsync("PutItem", """{"TableName": "users", "Item": {"id": {"S": "dev-only"}}}""");

        Assert.False((await CallAsync("GetItem", """{"TableName": "users", "Key": {"id": {"S": "dev-only"}}}""", prod)).ContainsKey("Item"));
        Assert.True(File.Exists(Path.Combine(directory, "tables", "acme", "shop.dev.us-east-1.sqlite")));

        Assert.True(await store.DeleteScopeAsync(Scope, CancellationToken.None));
        Assert.Empty(await store.ListTablesAsync(Scope, CancellationToken.None));
        Assert.Equal(["users"], await store.ListTablesAsync(prod, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => new TableScope("../etc", "shop", "dev", "x").DatabasePath(directory));
    }
}
