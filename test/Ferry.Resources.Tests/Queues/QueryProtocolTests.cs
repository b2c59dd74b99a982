using System.Text;
using System.Text.Json.Nodes;
using Ferry.Resources.Queues;

namespace Ferry.Resources.Tests.Queues;

/// <summary>The query protocol's flattened parameters and XML answers, translated from and to the JSON protocol's shapes.</summary>
public sealed class QueryProtocolTests
{
    [Fact]
    public void Flattened_lists_and_maps_become_json_members()
    {
        var (action, input) = QueryProtocol.Parse(
        [
            new("Action", "SendMessageBatch"), new("Version", "2012-11-05"), new("QueueUrl", "http://h/000000000000/q"),
            new("SendMessageBatchRequestEntry.2.Id", "b"), new("SendMessageBatchRequestEntry.2.MessageBody", "second"),
            new("SendMessageBatchRequestEntry.1.Id", "a"), new("SendMessageBatchRequestEntry.1.MessageBody", "first"),
            new("SendMessageBatchRequestEntry.1.MessageAttribute.1.Name", "origin"),
            new("SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType", "String"),
            new("SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue", "test"),
            new("AttributeName.1", "All"),
            new("Attribute.1.Name", "VisibilityTimeout"), new("Attribute.1.Value", "40"),
        ]);

        Assert.Equal("SendMessageBatch", action);
        Assert.Equal("http://h/000000000000/q", (string?)input["QueueUrl"]);
        var entries = Assert.IsType<JsonArray>(input["Entries"]);
        Assert.Equal(["a", "b"], entries.Select(e => (string?)e!["Id"]));
        Assert.Equal("test", (string?)entries[0]!["MessageAttributes"]!["origin"]!["StringValue"]);
        Assert.Equal(["All"], input["AttributeNames"]!.AsArray().Select(e => (string?)e));
        Assert.Equal("40", (string?)input["Attributes"]!["VisibilityTimeout"]);
    }

    [Fact]
    public void A_request_without_action_or_with_a_malformed_name_is_refused()
    {
        Assert.Equal("MissingParameter", Assert.Throws<SqsException>(() => QueryProtocol.Parse([new("QueueName", "q")])).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<SqsException>(() => QueryProtocol.Parse([new("Action", "ListQueues"), new("A..B", "x")])).Code);
    }

    [Fact]
    public void Answers_flatten_lists_and_maps_as_the_query_protocol_does()
    {
        var xml = Encoding.UTF8.GetString(QueryProtocol.Response("ReceiveMessage", new JsonObject
        {
            ["Messages"] = new JsonArray(new JsonObject
            {
                ["MessageId"] = "m1",
                ["Body"] = "a < b",
                ["Attributes"] = new JsonObject { ["SentTimestamp"] = "1" },
                ["MessageAttributes"] = new JsonObject { ["origin"] = new JsonObject { ["DataType"] = "String", ["StringValue"] = "x" } },
            }),
        }, "req-1"));

        Assert.Contains("<ReceiveMessageResult><Message><MessageId>m1</MessageId><Body>a &lt; b</Body>"
            + "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"
            + "<MessageAttribute><Name>origin</Name><Value><DataType>String</DataType><StringValue>x</StringValue></Value></MessageAttribute>"
            + "</Message></ReceiveMessageResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void Attribute_digests_follow_the_sqs_encoding()
    {
        var attributes = new Dictionary<string, MessageAttributeValue> { ["b"] = new("String", "2", null), ["a"] = new("Binary", null, [1, 2]) };

        // Sorted by name; each part length-prefixed; transport type 1 for strings, 2 for binary.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(
        [
            0, 0, 0, 1, (byte)'a', 0, 0, 0, 6, .. "Binary"u8, 2, 0, 0, 0, 2, 1, 2,
            0, 0, 0, 1, (byte)'b', 0, 0, 0, 6, .. "String"u8, 1, 0, 0, 0, 1, (byte)'2',
        ]));
        Assert.Equal(expected, MessageDigests.OfAttributes(attributes));
        Assert.Null(MessageDigests.OfAttributes(new Dictionary<string, MessageAttributeValue>()));
    }
}
