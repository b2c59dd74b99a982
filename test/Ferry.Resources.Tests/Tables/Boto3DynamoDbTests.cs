using System.Text.Json;

namespace Ferry.Resources.Tests.Tables;

/// <summary>boto3 (Debian's python3-boto3) against the endpoint: resource and client APIs, paging, indexes, errors, isolation.</summary>
public sealed class Boto3DynamoDbTests
{
    private static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Tables");

    [Fact]
    public async Task Boto3_queries_pages_and_updates_items_and_sees_only_its_own_app_stage()
    {
        await using var server = await TableTestServer.StartAsync();

        var root = await SdkClient.RunScriptAsync("python3", "dynamodb_boto3.py", ScriptDirectory, new
        {
            endpoint = server.Url,
            accessKeyId = TableTestServer.DevKey,
            secretAccessKey = TableTestServer.DevSecret,
            otherAccessKeyId = TableTestServer.OtherKey,
            otherSecretAccessKey = TableTestServer.OtherSecret,
        });

        Assert.Equal(0, root.GetProperty("itemCount").GetInt32());
        Assert.Equal(Enumerable.Range(1, 9).Select(d => $"2024-01-0{d}"), Strings(root.GetProperty("beginsWith")));
        Assert.Equal(2, root.GetProperty("filtered").GetInt32()); // value = i / 2 > 13.5: i = 28 and 29
        Assert.Equal(["2024-01-30", "2024-01-29", "2024-01-28", "2024-01-27", "2024-01-26"], Strings(root.GetProperty("firstPage")));
        Assert.Equal("2024-01-26", root.GetProperty("lastKey").GetProperty("sk").GetString());
        Assert.Equal(10, root.GetProperty("alarms").GetInt32());
        Assert.Equal(["kind", "pk", "sk"], Strings(root.GetProperty("alarmAttributes")));
        Assert.Equal(20, root.GetProperty("scanned").GetInt32());
        Assert.Equal("-0.25", root.GetProperty("value").GetString());
        Assert.Equal("0001", root.GetProperty("payload").GetString());

        var missingKey = Strings(root.GetProperty("missingKey")).ToList();
        Assert.Equal("ValidationException", missingKey[0]);
        Assert.Contains("Missing the key sk", missingKey[1], StringComparison.Ordinal);
        var legacy = Strings(root.GetProperty("legacy")).ToList();
        Assert.Equal("ValidationException", legacy[0]);
        Assert.Contains("KeyConditions", legacy[1], StringComparison.Ordinal);
        Assert.Contains("maximum allowed size", root.GetProperty("tooBig").GetString(), StringComparison.Ordinal);
        Assert.Contains(":unused", root.GetProperty("unused").GetString(), StringComparison.Ordinal);

        Assert.Empty(Strings(root.GetProperty("otherTables")));
        Assert.Equal("ResourceNotFoundException", root.GetProperty("otherGet").GetString());
        Assert.Equal("InvalidSignatureException", root.GetProperty("badSignature").GetString());
    }

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}
