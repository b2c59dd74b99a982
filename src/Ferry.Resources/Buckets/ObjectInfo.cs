using System.Text.Json.Serialization;

namespace Ferry.Resources.Buckets;

/// <summary>What a client sets on an object besides its bytes.</summary>
public sealed record ObjectProperties
{
    public const string DefaultContentType = "binary/octet-stream";

    public string ContentType { get; init; } = DefaultContentType;

    public string? ContentEncoding { get; init; }

    public string? ContentDisposition { get; init; }

    public string? ContentLanguage { get; init; }

    public string? CacheControl { get; init; }

    public string? Expires { get; init; }

    /// <summary>User metadata (<c>x-amz-meta-NAME</c>), by lower-case NAME.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Checksums the client sent and that were verified, by algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), base64.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = new Dictionary<string, string>();
}

/// <summary>A stored object's description (everything but its bytes).</summary>
/// <param name="ETag">MD5 hex of the bytes, or for multipart uploads md5-of-part-md5s "-" part count; no quotes.</param>
/// <param name="PartSizes">The sizes of the parts of a multipart upload, in order; null for a single upload.</param>
public sealed record ObjectInfo(
    string Key,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    ObjectProperties Properties,
    IReadOnlyList<long>? PartSizes = null)
{
    public int PartCount => PartSizes?.Count ?? 0;

    public ObjectSummary Summary => new(Key, Size, ETag, LastModified);
}

/// <summary>What a listing shows of an object.</summary>
public sealed record ObjectSummary(string Key, long Size, string ETag, DateTimeOffset LastModified);

/// <summary>A page of a bucket listing.</summary>
/// <param name="NextMarker">The last key or common prefix on this page: where the next page starts after.</param>
public sealed record ObjectListing(
    IReadOnlyList<ObjectSummary> Objects,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextMarker);

/// <summary>A part of an unfinished multipart upload.</summary>
public sealed record UploadedPart(int PartNumber, long Size, string ETag, DateTimeOffset LastModified);

/// <summary>An unfinished multipart upload.</summary>
public sealed record MultipartUpload(string UploadId, string Key, DateTimeOffset Initiated, ObjectProperties Properties);

/// <summary>Conditions on a write, checked atomically with it (S3's conditional writes).</summary>
/// <param name="IfNoneMatchAny">Fail if the key already exists (<c>If-None-Match: *</c>).</param>
/// <param name="IfMatch">Fail unless the current ETag is this one (<c>If-Match</c>).</param>
public sealed record WriteConditions(bool IfNoneMatchAny, string? IfMatch)
{
    public static readonly WriteConditions None = new(false, null);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObjectInfo))]
[JsonSerializable(typeof(MultipartUpload))]
[JsonSerializable(typeof(BucketRecord))]
internal sealed partial class StorageJson : JsonSerializerContext;

/// <summary>The marker file that makes a folder a bucket.</summary>
internal sealed record BucketRecord(DateTimeOffset CreatedAt);
