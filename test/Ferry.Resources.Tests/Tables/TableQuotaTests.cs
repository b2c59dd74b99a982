using System.Text.Json.Nodes;
using Ferry.Resources.Buckets;
using Ferry.Resources.Tables;

namespace Ferry.Resources.Tests.Tables;

/// <summary>Table writes pass the endpoint's storage-quota admission, as bucket writes do.</summary>
public sealed class TableQuotaTests
{
    private static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Tables");

    [Fact]
    public async Task A_tenant_over_its_storage_quota_can_read_its_tables_but_not_write_them()
    {
        await using var server = await TableTestServer.StartAsync(tenant => tenant == "acme" ? new S3Exception("QuotaExceeded", 403, "Tenant acme is over its storage quota") : null);
        await server.Store.EnsureTableAsync(TableTestServer.Dev, (JsonObject)JsonNode.Parse("""
            {"TableName": "things", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
            """)!, CancellationToken.None);
        await new TableApi(server.Store, "us-east-1").HandleAsync(TableTestServer.Dev, "PutItem",
            (JsonObject)JsonNode.Parse("""{"TableName": "things", "Item": {"id": {"S": "0"}}}""")!, CancellationToken.None);

        var root = await SdkClient.RunScriptAsync("python3", "over_quota_boto3.py", ScriptDirectory,
            new { endpoint = server.Url, accessKeyId = TableTestServer.DevKey, secretAccessKey = TableTestServer.DevSecret });

        Assert.Equal(["things"], root.GetProperty("tables").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("LimitExceededException", root.GetProperty("put")[0].GetString());
        Assert.Contains("over its storage quota", root.GetProperty("put")[1].GetString(), StringComparison.Ordinal);
        Assert.Equal("0", root.GetProperty("get").GetString());
    }
}
