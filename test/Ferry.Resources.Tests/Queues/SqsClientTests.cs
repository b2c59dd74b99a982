using System.Text.Json;

namespace Ferry.Resources.Tests.Queues;

/// <summary>Real SQS clients against the endpoint: the AWS SDK for JavaScript v3 (JSON protocol), boto3 as installed, and signed query-protocol requests.</summary>
public sealed class SqsClientTests
{
    [Fact]
    public async Task The_javascript_sdk_sends_receives_changes_visibility_and_deletes()
    {
        await using var server = await SqsTestServer.StartAsync();
        var result = await server.RunClientAsync("node", "sqs.mjs", "js-jobs");

        Assert.Equal(server.Url + "/000000000000/js-jobs", result.GetProperty("queueUrl").GetString());
        Assert.True(result.GetProperty("sameUrl").GetBoolean());
        Assert.Equal(["m1", "m2", "m3"], result.GetProperty("batchSent").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["hello from javascript ✓", "batch 1", "batch 2", "batch 3"], result.GetProperty("bodies").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("node", result.GetProperty("origin").GetString());
        Assert.Equal("1", result.GetProperty("receiveCount").GetString());
        Assert.Equal("4", result.GetProperty("notVisible").GetString());
        Assert.Equal("arn:aws:sqs:eu-west-1:000000000000:js-jobs", result.GetProperty("arn").GetString());
        Assert.Equal(2, result.GetProperty("batchDeleted").GetInt32());
        // The message made visible again comes back, received a second time.
        var again = Assert.Single(result.GetProperty("again").EnumerateArray());
        Assert.Equal(["batch 1", "2"], again.EnumerateArray().Select(e => e.GetString()));
        Assert.True(result.GetProperty("emptyAfterPurge").GetBoolean());
        Assert.Equal([server.Url + "/000000000000/js-jobs"], result.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("QueueDoesNotExist", result.GetProperty("missingError").GetString());
        Assert.Empty(result.GetProperty("listedAfterDelete").EnumerateArray());
    }

    [Fact]
    public async Task Boto3_uses_a_fifo_queue_with_groups_and_deduplication()
    {
        await using var server = await SqsTestServer.StartAsync();
        var result = await server.RunClientAsync("python", "sqs_boto3.py", "py-jobs.fifo");

        // The repeated "one" was within the deduplication interval: it is not a new message.
        Assert.Equal(["one", "two", "three"], result.GetProperty("first").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["g1", "g1", "g2"], result.GetProperty("groups").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, result.GetProperty("whileInFlight").GetInt32());
        Assert.Equal(0, result.GetProperty("afterDelete").GetInt32());
        Assert.Equal("InvalidParameterValue", result.GetProperty("tooLarge").GetString());
        Assert.Contains(result.GetProperty("missing").GetString(), new[] { "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist" });
    }

    [Fact]
    public async Task The_query_protocol_speaks_forms_and_xml()
    {
        await using var server = await SqsTestServer.StartAsync();
        var result = await server.RunClientAsync("python", "sqs_query.py", "query-jobs");

        var url = result.GetProperty("queueUrl").GetString();
        Assert.Equal(server.Url + "/000000000000/query-jobs", url);
        Assert.Equal(Ferry.Resources.Queues.MessageDigests.OfBody("hello + query & co"), result.GetProperty("md5").GetString());
        Assert.NotNull(result.GetProperty("md5Attributes").GetString());
        Assert.Equal(["a", "b"], result.GetProperty("batchIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["hello + query & co", "batch a", "batch b"], result.GetProperty("bodies").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["python"], result.GetProperty("origin").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["1", "1", "1"], result.GetProperty("receiveCounts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, result.GetProperty("deleted").GetInt32());
        Assert.Equal("40", result.GetProperty("visibilityTimeout").GetString());
        Assert.Equal("0", result.GetProperty("visible").GetString());
        Assert.Equal([url], result.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(400, result.GetProperty("missingStatus").GetInt32());
        Assert.Equal("AWS.SimpleQueueService.NonExistentQueue", result.GetProperty("missingCode").GetString());
        Assert.Equal(200, result.GetProperty("deleteStatus").GetInt32());
    }

    [Fact]
    public async Task A_function_key_reaches_only_its_own_app_stages_queues()
    {
        await using var server = await SqsTestServer.StartAsync();
        await server.Store.EnsureAsync(new("acme", "shop-orders"), SqsTestServer.ShopStage, new(), CancellationToken.None);

        var mine = await server.RunClientAsync("python", "sqs_query.py", "shop-made", SqsTestServer.ShopKey, SqsTestServer.ShopSecret);
        Assert.Equal(2, mine.GetProperty("listed").GetArrayLength());

        // Another app stage of the same tenant, and another tenant, see no queue of the shop's.
        var blog = await server.RunClientAsync("python", "sqs_query.py", "blog-made", SqsTestServer.BlogKey, SqsTestServer.BlogSecret);
        Assert.Equal([server.Url + "/000000000000/blog-made"], blog.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        var other = await server.RunClientAsync("python", "sqs_query.py", "shop-orders", SqsTestServer.OtherKey, SqsTestServer.OtherSecret);
        Assert.Equal([server.Url + "/000000000000/shop-orders"], other.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        var shopOrders = await server.Store.FindAsync(new("acme", "shop-orders"), CancellationToken.None);
        Assert.Equal(SqsTestServer.ShopStage, shopOrders!.AppStage);
    }
}
