using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ferry.Resources.Buckets;

/// <summary>
/// One object created or removed, as S3 event notifications describe it.
/// </summary>
/// <param name="EventName">Without the "s3:" prefix: ObjectCreated:Put, ObjectCreated:Copy,
/// ObjectCreated:CompleteMultipartUpload or ObjectRemoved:Delete.</param>
/// <param name="Key">The object key, not encoded.</param>
/// <param name="Size">Bytes; 0 for removals.</param>
/// <param name="ETag">Without quotes; empty for removals.</param>
public sealed record BucketNotification(
    string Tenant,
    string Bucket,
    string EventName,
    string Key,
    long Size,
    string ETag,
    DateTimeOffset Time,
    string Region)
{
    public const string ObjectCreatedPut = "ObjectCreated:Put";
    public const string ObjectCreatedCopy = "ObjectCreated:Copy";
    public const string ObjectCreatedCompleteMultipartUpload = "ObjectCreated:CompleteMultipartUpload";
    public const string ObjectRemovedDelete = "ObjectRemoved:Delete";

    public bool IsRemoval => EventName.StartsWith("ObjectRemoved:", StringComparison.Ordinal);

    /// <summary>
    /// Orders events for the same key, as S3's sequencer does: a hex string that grows with time; compare equal-length
    /// values as strings.
    /// </summary>
    public string Sequencer => Time.UtcTicks.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>The event a function receives: AWS's S3 notification shape (one record).</summary>
    public string ToEventJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            json.WriteStartObject();
            json.WriteString("eventVersion", "2.1");
            json.WriteString("eventSource", "aws:s3");
            json.WriteString("awsRegion", Region);
            json.WriteString("eventTime", Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("eventName", EventName);
            json.WriteStartObject("userIdentity");
            json.WriteString("principalId", Tenant);
            json.WriteEndObject();
            json.WriteStartObject("requestParameters");
            json.WriteString("sourceIPAddress", "127.0.0.1");
            json.WriteEndObject();
            json.WriteStartObject("responseElements");
            json.WriteString("x-amz-request-id", Sequencer);
            json.WriteString("x-amz-id-2", Sequencer);
            json.WriteEndObject();
            json.WriteStartObject("s3");
            json.WriteString("s3SchemaVersion", "1.0");
            json.WriteString("configurationId", "ferry");
            json.WriteStartObject("bucket");
            json.WriteString("name", Bucket);
            json.WriteStartObject("ownerIdentity");
            json.WriteString("principalId", Tenant);
            json.WriteEndObject();
            json.WriteString("arn", $"arn:aws:s3:::{Bucket}");
            json.WriteEndObject();
            json.WriteStartObject("object");
            json.WriteString("key", EncodeKey(Key));
            if (!IsRemoval)
            {
                // Removal events carry no size or eTag on AWS either.
                json.WriteNumber("size", Size);
                json.WriteString("eTag", ETag);
            }

            json.WriteString("sequencer", Sequencer);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Keys in S3 events are form-URL-encoded (space as '+', '/' kept), which is why Lambda samples decode them with
    /// unquote_plus / decodeURIComponent(key.replace(/\+/g, ' ')).
    /// </summary>
    internal static string EncodeKey(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '*' or '/')
            {
                builder.Append(c);
            }
            else if (c == ' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}

/// <summary>Receives the notifications of objects created and removed through the endpoint.</summary>
public interface IBucketEventSink
{
    ValueTask PublishAsync(BucketNotification notification, CancellationToken cancellationToken);
}

/// <summary>A function's <c>s3</c> event: which bucket, which events, and optional key prefix/suffix filters.</summary>
/// <param name="EventPattern">"s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:*" or an exact event such as
/// "s3:ObjectCreated:Put"; the "s3:" prefix may be left out.</param>
public sealed record BucketEventRule(string Bucket, string EventPattern, string? Prefix, string? Suffix)
{
    public bool Matches(BucketNotification notification)
    {
        if (notification.Bucket != Bucket
            || (Prefix is { Length: > 0 } && !notification.Key.StartsWith(Prefix, StringComparison.Ordinal))
            || (Suffix is { Length: > 0 } && !notification.Key.EndsWith(Suffix, StringComparison.Ordinal)))
        {
            return false;
        }

        var pattern = EventPattern.StartsWith("s3:", StringComparison.Ordinal) ? EventPattern[3..] : EventPattern;
        return pattern.EndsWith('*')
            ? notification.EventName.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : notification.EventName == pattern;
    }
}
