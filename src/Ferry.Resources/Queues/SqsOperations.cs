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
internal sealed partial class SqsOperations(QueueStore store)
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
}
