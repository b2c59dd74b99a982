using System.Text.Json;

namespace Ferry.Resources.Tests.Tables;

/// <summary>The AWS SDK for JavaScript v3 (client-dynamodb + lib-dynamodb's document client) against the endpoint.</summary>
public sealed class JavaScriptDynamoDbTests
{
    [Fact]
    public async Task The_javascript_sdk_creates_a_table_and_writes_queries_batches_and_transacts_items()
    {
        await using var server = await TableTestServer.StartAsync();
        await SdkClient.EnsureInstalledAsync(SdkClient.Folder("dynamodb-client"), "@aws-sdk/lib-dynamodb");

        var root = await SdkClient.RunScriptAsync(SdkClient.Node, "dynamodb.mjs", SdkClient.Folder("dynamodb-client"),
            new { endpoint = server.Url, accessKeyId = TableTestServer.DevKey, secretAccessKey = TableTestServer.DevSecret });

        Assert.Equal("ACTIVE", root.GetProperty("status").GetString());
        Assert.Equal(["by-status"], Strings(root.GetProperty("indexes")));
        Assert.Equal(["orders"], Strings(root.GetProperty("tables")));
        Assert.Equal("ConditionalCheckFailedException", root.GetProperty("conditionError").GetString());

        var projected = root.GetProperty("projected");
        Assert.Equal("open", projected.GetProperty("status").GetString());
        Assert.Equal("x", projected.GetProperty("lines")[0].GetProperty("sku").GetString());
        Assert.False(projected.TryGetProperty("total", out _));

        var updated = root.GetProperty("updated");
        Assert.Equal(30, updated.GetProperty("total").GetDecimal());
        Assert.Equal(1, updated.GetProperty("visits").GetInt32());
        Assert.Equal(2, updated.GetProperty("lines").GetInt32());
        Assert.Equal(["a", "b"], Strings(updated.GetProperty("tags")));
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("status").ValueKind);

        // Numbers sort numerically (negative first), descending here.
        Assert.Equal([10, 2, -5], root.GetProperty("queryOrders").EnumerateArray().Select(e => e.GetInt32()));
        // A full page carries a LastEvaluatedKey, so the paginator asks once more and gets an empty last page.
        Assert.Equal([[-5, 2], [10, 100], []], root.GetProperty("pages").EnumerateArray().Select(p => p.EnumerateArray().Select(e => e.GetInt32()).ToArray()));
        // ann/2 lost its status (REMOVE), so it left the index; bob/1 is read, then filtered out.
        Assert.Equal(["ann/100"], Strings(root.GetProperty("indexOrders")));
        Assert.Equal(2, root.GetProperty("indexScanned").GetInt32());
        Assert.Equal(4, root.GetProperty("scanCount").GetInt32());
        Assert.Equal(["cid/1", "cid/2"], Strings(root.GetProperty("batchGot")));

        Assert.Equal("TransactionCanceledException", root.GetProperty("transaction").GetString());
        Assert.Equal(["None", "ConditionalCheckFailed"], Strings(root.GetProperty("reasons")));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("danAfterCancel").ValueKind);
        Assert.Equal(["dan/1/", "cid/1/paid", null], root.GetProperty("transactGot").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()));
        Assert.Equal("ResourceNotFoundException", root.GetProperty("missingError").GetString());
        Assert.Empty(Strings(root.GetProperty("tablesAfter")));
    }

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}
