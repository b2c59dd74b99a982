using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Resources.Queues;

/// <summary>The message operations: send, receive (with long polls), delete and change visibility, singly and in batches.</summary>
internal sealed partial class SqsOperations
{
    private async Task<JsonObject> SendMessageAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        return SentOutput(await store.SendAsync(queue, Outgoing(input, queue.Settings), cancellationToken), null);
    }

    private async Task<JsonObject> SendMessageBatchAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var entries = Entries(input);
        var messages = entries.Select(e => (Id: e.Id, Message: TryOutgoing(e.Entry, queue.Settings))).ToList();
        var total = messages.Sum(m => m.Message.Message?.Size ?? 0);
        if (total > QueueSettings.MaxMessageBytesLimit)
        {
            throw new SqsException("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400,
                $"Batch requests cannot be longer than {QueueSettings.MaxMessageBytesLimit} bytes; this one is {total} bytes");
        }

        var successful = new JsonArray();
        var failed = new JsonArray();
        foreach (var (id, (message, error)) in messages)
        {
            if (message is null)
            {
                failed.Add(Failure(id, error!));
                continue;
            }

            successful.Add(SentOutput(await store.SendAsync(queue, message, cancellationToken), id));
        }

        return BatchOutput(successful, failed);
    }

    private async Task<JsonObject> ReceiveMessageAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var limit = Integer(input, "MaxNumberOfMessages", 1, 10) ?? 1;
        var visibility = TimeSpan.FromSeconds(Integer(input, "VisibilityTimeout", 0, 43_200) ?? queue.Settings.VisibilityTimeoutSeconds);
        var wait = TimeSpan.FromSeconds(Integer(input, "WaitTimeSeconds", 0, MaxWaitSeconds) ?? queue.Settings.ReceiveWaitTimeSeconds);
        var systemNames = Strings(input, "AttributeNames").Concat(Strings(input, "MessageSystemAttributeNames")).ToHashSet(StringComparer.Ordinal);
        var attributeNames = Strings(input, "MessageAttributeNames");

        var deadline = store.Time.GetUtcNow() + wait;
        IReadOnlyList<ReceivedMessage> received;
        while (true)
        {
            received = await store.ReceiveAsync(queue, limit, visibility, cancellationToken);
            var left = deadline - store.Time.GetUtcNow();
            if (received.Count > 0 || left <= TimeSpan.Zero)
            {
                break;
            }

            // Sends wake the wait at once; delayed messages and expired visibility timeouts are seen within a second.
            await store.WaitForArrivalAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
        }

        if (received.Count == 0)
        {
            return [];
        }

        var messages = new JsonArray();
        foreach (var message in received)
        {
            messages.Add(MessageOutput(message, systemNames, attributeNames, caller));
        }

        return new JsonObject { ["Messages"] = messages };
    }

    private async Task<JsonObject> DeleteMessageAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        await store.DeleteMessageAsync(queue, Required(input, "ReceiptHandle"), cancellationToken);
        return [];
    }

    private async Task<JsonObject> DeleteMessageBatchAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var successful = new JsonArray();
        var failed = new JsonArray();
        foreach (var (id, entry) in Entries(input))
        {
            try
            {
                await store.DeleteMessageAsync(queue, Required(entry, "ReceiptHandle"), cancellationToken);
                successful.Add(new JsonObject { ["Id"] = id });
            }
            catch (SqsException e)
            {
                failed.Add(Failure(id, e));
            }
        }

        return BatchOutput(successful, failed);
    }

    private async Task<JsonObject> ChangeMessageVisibilityAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        await ChangeVisibilityAsync(queue, input, cancellationToken);
        return [];
    }

    private async Task<JsonObject> ChangeMessageVisibilityBatchAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var successful = new JsonArray();
        var failed = new JsonArray();
        foreach (var (id, entry) in Entries(input))
        {
            try
            {
                await ChangeVisibilityAsync(queue, entry, cancellationToken);
                successful.Add(new JsonObject { ["Id"] = id });
            }
            catch (SqsException e)
            {
                failed.Add(Failure(id, e));
            }
        }

        return BatchOutput(successful, failed);
    }

    private async Task ChangeVisibilityAsync(QueueInfo queue, JsonObject input, CancellationToken cancellationToken)
    {
        var handle = Required(input, "ReceiptHandle");
        var seconds = Integer(input, "VisibilityTimeout", 0, 43_200) ?? throw SqsException.MissingParameter("VisibilityTimeout");
        if (!await store.ChangeVisibilityAsync(queue, handle, TimeSpan.FromSeconds(seconds), cancellationToken))
        {
            throw new SqsException("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400, "The message referred to isn't in flight.");
        }
    }

    private static JsonObject MessageOutput(ReceivedMessage message, IReadOnlySet<string> systemNames, IReadOnlyList<string> attributeNames, SqsCaller caller)
    {
        var output = new JsonObject
        {
            ["MessageId"] = message.MessageId,
            ["ReceiptHandle"] = message.ReceiptHandle,
            ["MD5OfBody"] = message.Md5OfBody,
            ["Body"] = message.Body,
        };
        var system = new Dictionary<string, string?>
        {
            ["SenderId"] = caller.Principal.Tenant,
            ["SentTimestamp"] = Text(message.SentAt.ToUnixTimeMilliseconds()),
            ["ApproximateReceiveCount"] = Text(message.ReceiveCount),
            ["ApproximateFirstReceiveTimestamp"] = Text(message.FirstReceivedAt.ToUnixTimeMilliseconds()),
            ["MessageGroupId"] = message.GroupId,
            ["MessageDeduplicationId"] = message.DeduplicationId,
            ["SequenceNumber"] = message.SequenceNumber,
        };
        var attributes = new JsonObject();
        foreach (var (name, value) in system)
        {
            if (value is not null && (systemNames.Contains("All") || systemNames.Contains(name)))
            {
                attributes[name] = value;
            }
        }

        if (attributes.Count > 0)
        {
            output["Attributes"] = attributes;
        }

        var selected = message.Attributes.Where(a => attributeNames.Any(n => n is "All" or ".*" || n == a.Key || (n.EndsWith(".*", StringComparison.Ordinal) && a.Key.StartsWith(n[..^1], StringComparison.Ordinal))))
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        if (selected.Count > 0)
        {
            output["MD5OfMessageAttributes"] = MessageDigests.OfAttributes(selected);
            var values = new JsonObject();
            foreach (var (name, value) in selected)
            {
                values[name] = AttributeJson(value);
            }

            output["MessageAttributes"] = values;
        }

        return output;
    }

    public static JsonObject AttributeJson(MessageAttributeValue value)
    {
        var json = new JsonObject { ["DataType"] = value.DataType };
        if (value.IsBinary)
        {
            json["BinaryValue"] = Convert.ToBase64String(value.BinaryValue ?? []);
        }
        else
        {
            json["StringValue"] = value.StringValue;
        }

        return json;
    }

    private static JsonObject SentOutput(SentMessage sent, string? id)
    {
        var output = new JsonObject();
        if (id is not null)
        {
            output["Id"] = id;
        }

        output["MessageId"] = sent.MessageId;
        output["MD5OfMessageBody"] = sent.Md5OfBody;
        if (sent.Md5OfAttributes is { } attributes)
        {
            output["MD5OfMessageAttributes"] = attributes;
        }

        if (sent.SequenceNumber is { } sequence)
        {
            output["SequenceNumber"] = sequence;
        }

        return output;
    }

    private static JsonObject BatchOutput(JsonArray successful, JsonArray failed) => new() { ["Successful"] = successful, ["Failed"] = failed };

    private static JsonObject Failure(string id, SqsException error) => new()
    {
        ["Id"] = id, ["SenderFault"] = error.SenderFault, ["Code"] = error.QueryCode, ["Message"] = error.Message,
    };

    private static (OutgoingMessage? Message, SqsException? Error) TryOutgoing(JsonObject entry, QueueSettings settings)
    {
        try
        {
            return (Outgoing(entry, settings), null);
        }
        catch (SqsException e)
        {
            return (null, e);
        }
    }

    private static OutgoingMessage Outgoing(JsonObject input, QueueSettings settings)
    {
        var body = Required(input, "MessageBody");
        if (body.Length == 0)
        {
            throw SqsException.InvalidParameter("The request must contain a MessageBody of at least one character");
        }

        if (body.Any(c => c is < '\u0020' and not ('\t' or '\n' or '\r') or '\uFFFE' or '\uFFFF'))
        {
            throw new SqsException("InvalidMessageContents", "InvalidMessageContents", 400, "Invalid characters found in the message body (see the SQS character rules)");
        }

        var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal);
        if (input["MessageAttributes"] is JsonObject declared)
        {
            if (declared.Count > 10)
            {
                throw SqsException.InvalidParameter("Number of message attributes exceeds the maximum of 10");
            }

            foreach (var (name, value) in declared)
            {
                if (value is not JsonObject attribute || Optional(attribute, "DataType") is not { } type
                    || !(type.StartsWith("String", StringComparison.Ordinal) || type.StartsWith("Number", StringComparison.Ordinal) || type.StartsWith("Binary", StringComparison.Ordinal)))
                {
                    throw SqsException.InvalidParameter($"The message attribute '{Shorten(name)}' must have a DataType of String, Number or Binary");
                }

                attributes[name] = type.StartsWith("Binary", StringComparison.Ordinal)
                    ? new MessageAttributeValue(type, null, Base64(Optional(attribute, "BinaryValue") ?? throw SqsException.InvalidParameter($"The message attribute '{Shorten(name)}' of type Binary needs a BinaryValue")))
                    : new MessageAttributeValue(type, Optional(attribute, "StringValue") ?? throw SqsException.InvalidParameter($"The message attribute '{Shorten(name)}' needs a StringValue"), null);
            }
        }

        var groupId = Optional(input, "MessageGroupId");
        var deduplicationId = Optional(input, "MessageDeduplicationId");
        if (settings.Fifo && groupId is null)
        {
            throw SqsException.MissingParameter("MessageGroupId");
        }

        if (settings.Fifo && deduplicationId is null && !settings.ContentBasedDeduplication)
        {
            throw SqsException.InvalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
        }

        var delay = Integer(input, "DelaySeconds", 0, 900);
        if (settings.Fifo && delay is not null)
        {
            throw SqsException.InvalidParameter("The request include parameter that is not valid for this queue type: DelaySeconds is per queue on FIFO queues");
        }

        var message = new OutgoingMessage(body, attributes, delay, settings.Fifo ? groupId : null, settings.Fifo ? deduplicationId : null);
        if (message.Size > settings.MaximumMessageBytes)
        {
            throw SqsException.TooLarge(message.Size, settings.MaximumMessageBytes);
        }

        return message;
    }

    private static byte[] Base64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw SqsException.InvalidParameter("A BinaryValue is not valid base64");
        }
    }

    private static List<(string Id, JsonObject Entry)> Entries(JsonObject input)
    {
        if (input["Entries"] is not JsonArray { Count: > 0 } entries)
        {
            throw new SqsException("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400, "There should be at least one entry in the request.");
        }

        if (entries.Count > MaxBatchEntries)
        {
            throw new SqsException("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400,
                $"Maximum number of entries per request are {MaxBatchEntries}. You have sent {entries.Count}.");
        }

        var result = new List<(string, JsonObject)>();
        foreach (var node in entries)
        {
            if (node is not JsonObject entry)
            {
                throw SqsException.InvalidParameter("Every batch entry must be an object");
            }

            var id = Required(entry, "Id");
            if (id.Length > 80 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new SqsException("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400,
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.");
            }

            if (result.Any(r => r.Item1 == id))
            {
                throw new SqsException("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, $"Id {id} repeated.");
            }

            result.Add((id, entry));
        }

        return result;
    }
}
