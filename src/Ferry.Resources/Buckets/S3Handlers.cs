using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Resources.Buckets;

/// <summary>
/// The S3 operations, dispatched on method, bucket/key presence and sub-resource query parameters the way S3 does.
/// Requests arrive authenticated; each operation checks the caller may use the bucket.
/// </summary>
internal sealed partial class S3Handlers(BucketStorage storage, BucketEndpointOptions options, IBucketEventSink events, ILogger logger)
{
    /// <summary>S3 caps user metadata at 2 KiB (names and values).</summary>
    private const int MaxMetadataBytes = 2048;

    private const string MetadataPrefix = "x-amz-meta-";

    /// <summary>Sub-resources this endpoint does not implement: refused clearly instead of being mistaken for a plain GET/PUT.</summary>
    private static readonly string[] UnsupportedSubresources =
    [
        "acl", "policy", "cors", "lifecycle", "tagging", "website", "logging", "notification", "replication", "encryption",
        "object-lock", "retention", "legal-hold", "torrent", "accelerate", "requestPayment", "inventory", "metrics",
        "analytics", "intelligent-tiering", "ownershipControls", "publicAccessBlock", "policyStatus", "restore", "select",
        "versions", "attributes",
    ];

    public Task HandleAsync(HttpContext http, S3Request request, S3Caller caller, CancellationToken cancellationToken)
    {
        if (request.Bucket is null)
        {
            return request.Method == HttpMethods.Get
                ? ListBucketsAsync(http, caller, cancellationToken)
                : throw MethodNotAllowed(request.Method, "the service");
        }

        if ((request.Method == HttpMethods.Put || (request.Method == HttpMethods.Post && !request.Has("delete")))
            && options.WriteAdmission?.Invoke(caller.Principal.Tenant) is { } refused)
        {
            throw refused;
        }

        if (UnsupportedSubresources.FirstOrDefault(request.Has) is { } unsupported)
        {
            throw new S3Exception("NotImplemented", 501, $"A header or query you provided requested a function that is not implemented: ?{unsupported}");
        }

        if (request.Key is null)
        {
            return HandleBucketAsync(http, request, caller, cancellationToken);
        }

        var bucket = Authorize(caller, request.Bucket);
        ObjectKeys.Validate(request.Key);
        return (request.Method, request.Has("uploadId"), request.Has("uploads")) switch
        {
            ("PUT", true, _) => http.Request.Headers.ContainsKey("x-amz-copy-source")
                ? UploadPartCopyAsync(http, request, caller, bucket, cancellationToken)
                : UploadPartAsync(http, request, caller, bucket, cancellationToken),
            ("PUT", false, _) => http.Request.Headers.ContainsKey("x-amz-copy-source")
                ? CopyObjectAsync(http, request, caller, bucket, cancellationToken)
                : PutObjectAsync(http, request, caller, bucket, cancellationToken),
            ("GET", true, _) => ListPartsAsync(http, request, bucket, cancellationToken),
            ("GET", false, _) => GetObjectAsync(http, request, bucket, head: false, cancellationToken),
            ("HEAD", _, _) => GetObjectAsync(http, request, bucket, head: true, cancellationToken),
            ("DELETE", true, _) => AbortMultipartUploadAsync(http, request, bucket, cancellationToken),
            ("DELETE", false, _) => DeleteObjectAsync(http, request, bucket, cancellationToken),
            ("POST", false, true) => CreateMultipartUploadAsync(http, request, bucket, cancellationToken),
            ("POST", true, _) => CompleteMultipartUploadAsync(http, request, caller, bucket, cancellationToken),
            _ => throw MethodNotAllowed(request.Method, "an object"),
        };
    }

    private BucketAddress Authorize(S3Caller caller, string bucketName)
    {
        if (!BucketNames.TryValidate(bucketName, out var problem))
        {
            throw new S3Exception("InvalidBucketName", 400, problem) { Details = [new("BucketName", bucketName)] };
        }

        var bucket = new BucketAddress(caller.Principal.Tenant, bucketName);
        return caller.Principal.MayUse(bucket)
            ? bucket
            : throw S3Exception.AccessDenied($"Access Denied: access key {caller.AccessKeyId} may not use bucket '{bucketName}'");
    }

    private static S3Exception MethodNotAllowed(string method, string resource)
        => new("MethodNotAllowed", 405, $"The specified method {method} is not allowed against {resource}.");

    /// <summary>Content headers and user metadata of a PUT, CopyObject (REPLACE) or CreateMultipartUpload.</summary>
    private static ObjectProperties PropertiesFrom(HttpRequest request)
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var metadataBytes = 0;
        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > MetadataPrefix.Length)
            {
                var key = name[MetadataPrefix.Length..].ToLowerInvariant();
                var value = values.ToString();
                metadataBytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
                metadata[key] = value;
            }
        }

        if (metadataBytes > MaxMetadataBytes)
        {
            throw new S3Exception("MetadataTooLarge", 400,
                $"Your metadata headers exceed the maximum allowed metadata size: {metadataBytes} bytes, the limit is {MaxMetadataBytes}");
        }

        // aws-chunked describes the transfer, not the object.
        var encoding = string.Join(',', request.Headers.ContentEncoding.ToString()
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(e => !e.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
        return new ObjectProperties
        {
            ContentType = request.ContentType is { Length: > 0 } type ? type : ObjectProperties.DefaultContentType,
            ContentEncoding = encoding.Length > 0 ? encoding : null,
            ContentDisposition = Header(request, "Content-Disposition"),
            ContentLanguage = Header(request, "Content-Language"),
            CacheControl = Header(request, "Cache-Control"),
            Expires = Header(request, "Expires"),
            Metadata = metadata,
        };
    }

    private static string? Header(HttpRequest request, string name)
        => request.Headers[name].ToString() is { Length: > 0 } value ? value : null;

    private async Task PublishAsync(BucketAddress bucket, string eventName, string key, long size, string etag, CancellationToken cancellationToken)
    {
        var notification = new BucketNotification(bucket.Tenant, bucket.Name, eventName, key, size, etag, DateTimeOffset.UtcNow, options.Region);
        try
        {
            await events.PublishAsync(notification, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The object is stored; a failing subscriber must not turn that into an error for the writer.
            LogPublishFailed(logger, e, eventName, bucket.ToString(), key);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bucket event {EventName} for {Bucket}/{Key} could not be published")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string eventName, string bucket, string key);
}
