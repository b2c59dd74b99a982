using System.Text.RegularExpressions;

namespace Ferry.Resources.Queues;

/// <summary>A queue: its tenant and its name (unique per tenant, as an SQS queue name is per account and region).</summary>
public sealed partial record QueueAddress(string Tenant, string Name)
{
    public const string NameRule = "1 to 80 letters, digits, '-' or '_' (a FIFO queue's name ends with '.fifo')";

    public static bool IsValidName(string name, bool fifo)
    {
        var stem = fifo ? (name.EndsWith(".fifo", StringComparison.Ordinal) ? name[..^5] : null) : name;
        return stem is not null && name.Length <= 80 && NamePattern().IsMatch(stem);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,80}$")]
    private static partial Regex NamePattern();
}

/// <summary>A queue's settings, with SQS's defaults and limits.</summary>
public sealed record QueueSettings
{
    public const int MaxMessageBytesLimit = 256 * 1024;

    public int VisibilityTimeoutSeconds { get; init; } = 30;

    public int MessageRetentionSeconds { get; init; } = 345_600;

    public int DelaySeconds { get; init; }

    public int MaximumMessageBytes { get; init; } = MaxMessageBytesLimit;

    public int ReceiveWaitTimeSeconds { get; init; }

    public bool Fifo { get; init; }

    public bool ContentBasedDeduplication { get; init; }

    /// <summary>The queue that messages received <see cref="MaxReceiveCount"/> times move to; null: no redrive.</summary>
    public string? DeadLetterQueue { get; init; }

    public int MaxReceiveCount { get; init; }

    /// <summary>Null when every setting is in SQS's range, else what is wrong.</summary>
    public string? Problem() =>
        VisibilityTimeoutSeconds is < 0 or > 43_200 ? "VisibilityTimeout must be 0 to 43200 seconds"
        : MessageRetentionSeconds is < 60 or > 1_209_600 ? "MessageRetentionPeriod must be 60 to 1209600 seconds"
        : DelaySeconds is < 0 or > 900 ? "DelaySeconds must be 0 to 900"
        : MaximumMessageBytes is < 1024 or > MaxMessageBytesLimit ? $"MaximumMessageSize must be 1024 to {MaxMessageBytesLimit} bytes"
        : ReceiveWaitTimeSeconds is < 0 or > 20 ? "ReceiveMessageWaitTimeSeconds must be 0 to 20"
        : DeadLetterQueue is not null && MaxReceiveCount is < 1 or > 1000 ? "RedrivePolicy maxReceiveCount must be 1 to 1000"
        : ContentBasedDeduplication && !Fifo ? "ContentBasedDeduplication is only for FIFO queues"
        : null;
}

/// <summary>A stored queue.</summary>
/// <param name="AppStage">The app stage that owns it (tenant/service/stage/region); null for a queue made with a tenant-wide key.</param>
public sealed record QueueInfo(long Id, QueueAddress Address, string? AppStage, QueueSettings Settings, DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt);

/// <summary>A typed message attribute: <c>String</c>, <c>Number</c> or <c>Binary</c> (with an optional <c>.custom</c> suffix).</summary>
public sealed record MessageAttributeValue(string DataType, string? StringValue, byte[]? BinaryValue)
{
    public bool IsBinary => DataType.StartsWith("Binary", StringComparison.Ordinal);
}

/// <summary>A message to send.</summary>
/// <param name="DelaySeconds">Null: the queue's delay.</param>
public sealed record OutgoingMessage(string Body, IReadOnlyDictionary<string, MessageAttributeValue> Attributes, int? DelaySeconds = null,
    string? GroupId = null, string? DeduplicationId = null)
{
    /// <summary>What counts against the size limit: the body plus every attribute's name, type and value, as on SQS.</summary>
    public int Size => System.Text.Encoding.UTF8.GetByteCount(Body) + Attributes.Sum(a =>
        System.Text.Encoding.UTF8.GetByteCount(a.Key) + System.Text.Encoding.UTF8.GetByteCount(a.Value.DataType)
        + (a.Value.BinaryValue?.Length ?? System.Text.Encoding.UTF8.GetByteCount(a.Value.StringValue ?? "")));
}

/// <summary>What sending stored.</summary>
/// <param name="SequenceNumber">FIFO queues only.</param>
public sealed record SentMessage(string MessageId, string Md5OfBody, string? Md5OfAttributes, string? SequenceNumber);

/// <summary>A received message, with the receipt handle of this receive.</summary>
public sealed record ReceivedMessage(
    string MessageId,
    string ReceiptHandle,
    string Body,
    string Md5OfBody,
    string? Md5OfAttributes,
    IReadOnlyDictionary<string, MessageAttributeValue> Attributes,
    DateTimeOffset SentAt,
    int ReceiveCount,
    DateTimeOffset FirstReceivedAt,
    string? GroupId,
    string? DeduplicationId,
    string? SequenceNumber);

/// <summary>Message counts of a queue (GetQueueAttributes' Approximate…).</summary>
public sealed record QueueCounts(long Visible, long InFlight, long Delayed);
