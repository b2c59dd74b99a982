using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Resources.Buckets;

namespace Ferry.Resources.Queues;

/// <summary>Who calls, and how queue URLs are written back to them.</summary>
/// <param name="Principal">The caller's key: a function key reaches its own app stage's queues only.</param>
/// <param name="BaseUrl">The scheme and authority the caller used (<c>http://127.0.0.1:9100</c>), for queue URLs.</param>
/// <param name="Region">The region the request was signed for, for ARNs.</param>
internal sealed record SqsCaller(BucketPrincipal Principal, string BaseUrl, string Region)
{
    public bool IsFunction => Principal.AllowedBuckets is not null;

    public bool MayUse(QueueInfo queue) => queue.Address.Tenant == Principal.Tenant && (!IsFunction || (Principal.AppStage is not null && queue.AppStage == Principal.AppStage));

    public string QueueUrl(string name) => $"{BaseUrl}/{QueueUrls.AccountId}/{name}";
}

/// <summary>Queue URLs (<c>http://host:port/000000000000/name</c>) and ARNs (<c>arn:aws:sqs:region:000000000000:name</c>).</summary>
public static class QueueUrls
{
    /// <summary>The account id in Ferry's ARNs (see <c>ManifestDefaults.AccountId</c>).</summary>
    public const string AccountId = "000000000000";

    /// <summary>The queue name in a queue URL's path, or the last part of an ARN; null when there is none.</summary>
    public static string? NameOf(string urlOrArn)
    {
        if (urlOrArn.StartsWith("arn:", StringComparison.Ordinal))
        {
            return urlOrArn.Split(':') is [_, _, "sqs", _, _, var arnName] && arnName.Length > 0 ? arnName : null;
        }

        var path = Uri.TryCreate(urlOrArn, UriKind.Absolute, out var uri) ? uri.AbsolutePath : urlOrArn;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 2 ? Uri.UnescapeDataString(segments[1]) : null;
    }

    public static string Arn(string region, string name) => $"arn:aws:sqs:{region}:{AccountId}:{name}";
}

/// <summary>
/// The SQS operations, on the JSON protocol's input and output shapes (the query protocol is translated by
/// <see cref="QueryProtocol"/>). Each works on the caller's tenant's queues; a function's key reaches only its own
/// app stage's queues, and a queue it can't reach is reported as not existing.
/// </summary>
internal sealed class SqsOperations(QueueStore store)
{
    public const int MaxBatchEntries = 10;
    public const int MaxWaitSeconds = 20;

    private static readonly string[] SettableAttributes =
    [
        "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy",
        "ContentBasedDeduplication", "FifoQueue",
    ];

    /// <summary>Accepted and ignored: encryption, access policies and throughput settings mean nothing on one server.</summary>
    private static readonly string[] IgnoredAttributes =
        ["Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "DeduplicationScope", "FifoThroughputLimit", "RedriveAllowPolicy"];

    public Task<JsonObject> InvokeAsync(string operation, JsonObject input, SqsCaller caller, CancellationToken cancellationToken) => operation switch
    {
        "CreateQueue" => CreateQueueAsync(input, caller, cancellationToken),
        "GetQueueUrl" => GetQueueUrlAsync(input, caller, cancellationToken),
        "ListQueues" => ListQueuesAsync(input, caller, cancellationToken),
        "DeleteQueue" => DeleteQueueAsync(input, caller, cancellationToken),
        "PurgeQueue" => PurgeQueueAsync(input, caller, cancellationToken),
        "GetQueueAttributes" => GetQueueAttributesAsync(input, caller, cancellationToken),
        "SetQueueAttributes" => SetQueueAttributesAsync(input, caller, cancellationToken),
        "SendMessage" => SendMessageAsync(input, caller, cancellationToken),
        "SendMessageBatch" => SendMessageBatchAsync(input, caller, cancellationToken),
        "ReceiveMessage" => ReceiveMessageAsync(input, caller, cancellationToken),
        "DeleteMessage" => DeleteMessageAsync(input, caller, cancellationToken),
        "DeleteMessageBatch" => DeleteMessageBatchAsync(input, caller, cancellationToken),
        "ChangeMessageVisibility" => ChangeMessageVisibilityAsync(input, caller, cancellationToken),
        "ChangeMessageVisibilityBatch" => ChangeMessageVisibilityBatchAsync(input, caller, cancellationToken),
        _ => throw new SqsException("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400,
            $"Ferry does not serve the SQS operation '{(operation.Length > 60 ? operation[..60] : operation)}'; see docs/aws-compat.md for the operations it serves"),
    };

    private async Task<JsonObject> CreateQueueAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var name = Required(input, "QueueName");
        var attributes = StringMap(input, "Attributes");
        var settings = ApplyAttributes(new QueueSettings { Fifo = name.EndsWith(".fifo", StringComparison.Ordinal) }, attributes, creating: true);
        if (!QueueAddress.IsValidName(name, settings.Fifo))
        {
            throw SqsException.InvalidParameter($"Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length; queue name '{Shorten(name)}' is invalid ({QueueAddress.NameRule})");
        }

        var address = new QueueAddress(caller.Principal.Tenant, name);
        if (await store.FindAsync(address, cancellationToken) is { } existing && !caller.MayUse(existing))
        {
            throw SqsException.AccessDenied($"Queue '{name}' belongs to another app of this tenant; queue names are unique per tenant");
        }

        var created = await store.CreateAsync(address, caller.IsFunction ? caller.Principal.AppStage : null, settings, cancellationToken)
            ?? throw new SqsException("QueueNameExists", "QueueAlreadyExists", 400, $"A queue already exists with the same name '{name}' and different attributes");
        return new JsonObject { ["QueueUrl"] = caller.QueueUrl(created.Queue.Address.Name) };
    }

    private async Task<JsonObject> GetQueueUrlAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueAsync(Required(input, "QueueName"), caller, cancellationToken);
        return new JsonObject { ["QueueUrl"] = caller.QueueUrl(queue.Address.Name) };
    }

    private async Task<JsonObject> ListQueuesAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var prefix = Optional(input, "QueueNamePrefix") ?? "";
        var limit = Integer(input, "MaxResults", 1, 1000) ?? 1000;
        var after = Optional(input, "NextToken");
        var urls = new JsonArray();
        string? last = null;
        var more = false;
        while (true)
        {
            var page = await store.ListAsync(caller.Principal.Tenant, prefix, after, limit + 1, cancellationToken);
            foreach (var queue in page)
            {
                after = queue.Address.Name;
                if (!caller.MayUse(queue))
                {
                    continue;
                }

                if (urls.Count == limit)
                {
                    more = true;
                    break;
                }

                urls.Add(caller.QueueUrl(queue.Address.Name));
                last = queue.Address.Name;
            }

            if (more || page.Count <= limit)
            {
                break;
            }
        }

        var output = new JsonObject();
        if (urls.Count > 0)
        {
            output["QueueUrls"] = urls;
        }

        if (more && input.ContainsKey("MaxResults"))
        {
            output["NextToken"] = last;
        }

        return output;
    }

    private async Task<JsonObject> DeleteQueueAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        await store.DeleteAsync(queue.Address, cancellationToken);
        return [];
    }

    private async Task<JsonObject> PurgeQueueAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        await store.PurgeAsync(await QueueOfUrlAsync(input, caller, cancellationToken), cancellationToken);
        return [];
    }

    private async Task<JsonObject> GetQueueAttributesAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var wanted = Strings(input, "AttributeNames");
        var all = wanted.Contains("All");
        var counts = await store.CountAsync(queue, cancellationToken);
        var settings = queue.Settings;
        var values = new Dictionary<string, string>
        {
            ["QueueArn"] = QueueUrls.Arn(caller.Region, queue.Address.Name),
            ["ApproximateNumberOfMessages"] = Text(counts.Visible),
            ["ApproximateNumberOfMessagesNotVisible"] = Text(counts.InFlight),
            ["ApproximateNumberOfMessagesDelayed"] = Text(counts.Delayed),
            ["CreatedTimestamp"] = Text(queue.CreatedAt.ToUnixTimeSeconds()),
            ["LastModifiedTimestamp"] = Text(queue.ModifiedAt.ToUnixTimeSeconds()),
            ["VisibilityTimeout"] = Text(settings.VisibilityTimeoutSeconds),
            ["MaximumMessageSize"] = Text(settings.MaximumMessageBytes),
            ["MessageRetentionPeriod"] = Text(settings.MessageRetentionSeconds),
            ["DelaySeconds"] = Text(settings.DelaySeconds),
            ["ReceiveMessageWaitTimeSeconds"] = Text(settings.ReceiveWaitTimeSeconds),
            ["SqsManagedSseEnabled"] = "false",
        };
        if (settings.Fifo)
        {
            values["FifoQueue"] = "true";
            values["ContentBasedDeduplication"] = settings.ContentBasedDeduplication ? "true" : "false";
        }

        if (settings.DeadLetterQueue is { } deadLetters)
        {
            values["RedrivePolicy"] = JsonSerializer.Serialize(new { deadLetterTargetArn = QueueUrls.Arn(caller.Region, deadLetters), maxReceiveCount = settings.MaxReceiveCount });
        }

        var output = new JsonObject();
        foreach (var (name, value) in values)
        {
            if (all || wanted.Contains(name))
            {
                output[name] = value;
            }
        }

        return output.Count == 0 ? [] : new JsonObject { ["Attributes"] = output };
    }

    private async Task<JsonObject> SetQueueAttributesAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var queue = await QueueOfUrlAsync(input, caller, cancellationToken);
        var settings = ApplyAttributes(queue.Settings, StringMap(input, "Attributes"), creating: false);
        await store.SetSettingsAsync(queue, settings, cancellationToken);
        return [];
    }

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

    private async Task<QueueInfo> QueueOfUrlAsync(JsonObject input, SqsCaller caller, CancellationToken cancellationToken)
    {
        var url = Required(input, "QueueUrl");
        var name = QueueUrls.NameOf(url) ?? throw SqsException.InvalidParameter($"QueueUrl '{Shorten(url)}' is not a queue URL (http://host/ACCOUNT/QUEUE)");
        return await QueueAsync(name, caller, cancellationToken);
    }

    private async Task<QueueInfo> QueueAsync(string name, SqsCaller caller, CancellationToken cancellationToken)
    {
        if (name.Length > 80)
        {
            throw SqsException.NoSuchQueue(Shorten(name));
        }

        var queue = await store.FindAsync(new QueueAddress(caller.Principal.Tenant, name), cancellationToken);
        return queue is not null && caller.MayUse(queue) ? queue : throw SqsException.NoSuchQueue(name);
    }

    private static QueueSettings ApplyAttributes(QueueSettings settings, IReadOnlyDictionary<string, string> attributes, bool creating)
    {
        foreach (var (name, value) in attributes)
        {
            if (IgnoredAttributes.Contains(name))
            {
                continue;
            }

            if (!SettableAttributes.Contains(name))
            {
                throw new SqsException("InvalidAttributeName", "InvalidAttributeName", 400, $"Unknown Attribute {Shorten(name)}.");
            }

            settings = name switch
            {
                "VisibilityTimeout" => settings with { VisibilityTimeoutSeconds = AttributeInteger(name, value) },
                "MessageRetentionPeriod" => settings with { MessageRetentionSeconds = AttributeInteger(name, value) },
                "DelaySeconds" => settings with { DelaySeconds = AttributeInteger(name, value) },
                "MaximumMessageSize" => settings with { MaximumMessageBytes = AttributeInteger(name, value) },
                "ReceiveMessageWaitTimeSeconds" => settings with { ReceiveWaitTimeSeconds = AttributeInteger(name, value) },
                "ContentBasedDeduplication" => settings with { ContentBasedDeduplication = AttributeBoolean(name, value) },
                "FifoQueue" when creating => settings with { Fifo = AttributeBoolean(name, value) },
                "FifoQueue" => AttributeBoolean(name, value) == settings.Fifo ? settings
                    : throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, "FifoQueue can't be changed after the queue is created"),
                "RedrivePolicy" => Redrive(settings, value),
                _ => settings,
            };
        }

        return settings.Problem() is { } problem ? throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for an attribute: {problem}") : settings;
    }

    private static QueueSettings Redrive(QueueSettings settings, string value)
    {
        if (value.Length == 0)
        {
            return settings with { DeadLetterQueue = null, MaxReceiveCount = 0 };
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            var root = document.RootElement;
            var target = root.GetProperty("deadLetterTargetArn").GetString();
            var count = root.GetProperty("maxReceiveCount");
            var maxReceiveCount = count.ValueKind == JsonValueKind.Number ? count.GetInt32() : int.Parse(count.GetString()!, CultureInfo.InvariantCulture);
            var name = target is null ? null : QueueUrls.NameOf(target);
            return name is null
                ? throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, "RedrivePolicy.deadLetterTargetArn must be a queue ARN")
                : settings with { DeadLetterQueue = name, MaxReceiveCount = maxReceiveCount };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400,
                "RedrivePolicy must be JSON with deadLetterTargetArn and maxReceiveCount: {\"deadLetterTargetArn\":\"arn:aws:sqs:…\",\"maxReceiveCount\":5}");
        }
    }

    private static int AttributeInteger(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number
        : throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for the parameter {name}: '{Shorten(value)}' is not a number");

    private static bool AttributeBoolean(string name, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for the parameter {name}: '{Shorten(value)}' is not true or false"),
    };

    private static string Required(JsonObject input, string name) => Optional(input, name) ?? throw SqsException.MissingParameter(name);

    private static string? Optional(JsonObject input, string name) => input[name] switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.ToJsonString(),
        null => null,
        _ => throw SqsException.InvalidParameter($"{name} must be a string"),
    };

    private static int? Integer(JsonObject input, string name, int min, int max)
    {
        if (Optional(input, name) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw SqsException.InvalidParameter($"Value {Shorten(text)} for parameter {name} is invalid. Reason: must be between {min} and {max}.");
    }

    private static List<string> Strings(JsonObject input, string name) => input[name] switch
    {
        JsonArray list => [.. list.Select(item => item is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw SqsException.InvalidParameter($"{name} must be a list of strings"))],
        null => [],
        _ => throw SqsException.InvalidParameter($"{name} must be a list of strings"),
    };

    private static Dictionary<string, string> StringMap(JsonObject input, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (input[name])
        {
            case JsonObject entries:
                foreach (var (key, value) in entries)
                {
                    map[key] = value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : value?.ToJsonString() ?? "";
                }

                break;
            case null:
                break;
            default:
                throw SqsException.InvalidParameter($"{name} must be a map of strings");
        }

        return map;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
