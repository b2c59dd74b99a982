using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Ferry.Resources.Buckets;

/// <summary>Object operations: PutObject, GetObject/HeadObject, CopyObject, DeleteObject.</summary>
internal sealed partial class S3Handlers
{
    private static readonly (string Query, string Header)[] ResponseOverrides =
    [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ];

    private async Task PutObjectAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var key = request.Key!;
        var properties = PropertiesFrom(http.Request);
        var conditions = WriteConditionsFrom(http.Request);
        ObjectInfo stored;
        await using (var payload = PayloadStream.Open(http.Request, caller.ContentSha256, caller.Signing, options.MaxObjectBytes))
        {
            stored = await storage.PutObjectAsync(bucket, key, payload, () => properties with { Checksums = payload.VerifiedChecksums },
                options.MaxObjectBytes, conditions, cancellationToken);
        }

        http.Response.StatusCode = 200;
        http.Response.Headers.ETag = ETags.Quote(stored.ETag);
        WriteChecksumHeaders(http.Response, stored);
        await PublishAsync(bucket, BucketNotification.ObjectCreatedPut, key, stored.Size, stored.ETag, cancellationToken);
    }

    private async Task GetObjectAsync(HttpContext http, S3Request request, BucketAddress bucket, bool head, CancellationToken cancellationToken)
    {
        await using var stored = await storage.OpenObjectAsync(bucket, request.Key!, cancellationToken);
        var info = stored.Info;
        var response = http.Response;
        response.Headers.ETag = ETags.Quote(info.ETag);
        response.Headers.LastModified = HeaderUtilities.FormatDate(info.LastModified);
        if (!CheckReadConditions(http.Request, info))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var (offset, length, partial) = SelectBytes(http.Request, request, info);
        response.StatusCode = partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        if (partial)
        {
            response.Headers.ContentRange = $"bytes {offset}-{offset + length - 1}/{info.Size}";
        }

        if (info.PartCount > 0 && request.Has("partNumber"))
        {
            response.Headers["x-amz-mp-parts-count"] = info.PartCount.ToString(CultureInfo.InvariantCulture);
        }

        response.Headers.AcceptRanges = "bytes";
        response.ContentType = info.Properties.ContentType;
        SetIfPresent(response, "Content-Encoding", info.Properties.ContentEncoding);
        SetIfPresent(response, "Content-Disposition", info.Properties.ContentDisposition);
        SetIfPresent(response, "Content-Language", info.Properties.ContentLanguage);
        SetIfPresent(response, "Cache-Control", info.Properties.CacheControl);
        SetIfPresent(response, "Expires", info.Properties.Expires);
        foreach (var (name, value) in info.Properties.Metadata)
        {
            response.Headers[MetadataPrefix + name] = value;
        }

        foreach (var (query, header) in ResponseOverrides)
        {
            SetIfPresent(response, header, request.Get(query));
        }

        if (!partial && http.Request.Headers["x-amz-checksum-mode"].ToString().Equals("ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            WriteChecksumHeaders(response, info);
        }

        response.ContentLength = length;
        if (head || length == 0)
        {
            return;
        }

        await using var content = stored.OpenContent(offset, length);
        await content.CopyToAsync(response.Body, 256 * 1024, cancellationToken);
    }

    private async Task CopyObjectAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var (sourceBucket, sourceKey) = CopySource(http.Request, caller);
        var directive = http.Request.Headers["x-amz-metadata-directive"].ToString() is { Length: > 0 } d ? d : "COPY";
        if (directive is not ("COPY" or "REPLACE"))
        {
            throw S3Exception.InvalidArgument($"Unknown metadata directive '{directive}': use COPY or REPLACE");
        }

        if (directive == "COPY" && sourceBucket == bucket && sourceKey == request.Key)
        {
            throw S3Exception.InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }

        await CheckCopySourceConditionsAsync(http.Request, sourceBucket, sourceKey, cancellationToken);
        var copied = await storage.CopyObjectAsync(sourceBucket, sourceKey, bucket, request.Key!,
            directive == "REPLACE" ? PropertiesFrom(http.Request) : null, options.MaxObjectBytes, cancellationToken);
        await S3Xml.WriteAsync(http.Response, 200, "CopyObjectResult", xml =>
        {
            xml.Element("LastModified", copied.LastModified);
            xml.Element("ETag", ETags.Quote(copied.ETag));
        }, cancellationToken);
        await PublishAsync(bucket, BucketNotification.ObjectCreatedCopy, copied.Key, copied.Size, copied.ETag, cancellationToken);
    }

    private async Task DeleteObjectAsync(HttpContext http, S3Request request, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var removed = await storage.DeleteObjectAsync(bucket, request.Key!, cancellationToken);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
        if (removed is not null)
        {
            await PublishAsync(bucket, BucketNotification.ObjectRemovedDelete, removed.Key, removed.Size, removed.ETag, cancellationToken);
        }
    }

    /// <summary>
    /// <c>x-amz-copy-source</c>: "BUCKET/KEY" (URL-encoded, optionally with a leading '/' and "?versionId=…"), which
    /// must be a bucket of the caller's tenant that the caller may use.
    /// </summary>
    private (BucketAddress Bucket, string Key) CopySource(HttpRequest request, S3Caller caller)
    {
        var source = request.Headers["x-amz-copy-source"].ToString();
        var version = source.IndexOf("?versionId=", StringComparison.Ordinal);
        if (version >= 0)
        {
            source = source[..version];
        }

        // SDKs differ in whether they encode the '/' after the bucket; bucket names cannot hold one, so decode first.
        var decoded = ObjectKeys.DecodeUtf8(Ferry.Triggers.Lambda.SigV4Verifier.PercentDecode(source), "x-amz-copy-source").TrimStart('/');
        var slash = decoded.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == decoded.Length - 1)
        {
            throw S3Exception.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        }

        var bucketName = decoded[..slash];
        var key = decoded[(slash + 1)..];
        ObjectKeys.Validate(key);
        return (Authorize(caller, bucketName), key);
    }

    private async Task CheckCopySourceConditionsAsync(HttpRequest request, BucketAddress bucket, string key, CancellationToken cancellationToken)
    {
        var ifMatch = request.Headers["x-amz-copy-source-if-match"].ToString();
        var ifNoneMatch = request.Headers["x-amz-copy-source-if-none-match"].ToString();
        if (ifMatch.Length == 0 && ifNoneMatch.Length == 0)
        {
            return;
        }

        var source = await storage.FindObjectAsync(bucket, key, cancellationToken) ?? throw S3Exception.NoSuchKey(key);
        if (ifMatch.Length > 0 && !ETags.Match(ifMatch, source.ETag))
        {
            throw S3Exception.PreconditionFailed("x-amz-copy-source-If-Match");
        }

        if (ifNoneMatch.Length > 0 && ETags.Match(ifNoneMatch, source.ETag))
        {
            throw S3Exception.PreconditionFailed("x-amz-copy-source-If-None-Match");
        }
    }

    /// <summary>If-Match / If-Unmodified-Since fail with 412; If-None-Match / If-Modified-Since answer 304 (false).</summary>
    private static bool CheckReadConditions(HttpRequest request, ObjectInfo info)
    {
        var headers = request.GetTypedHeaders();
        var lastModified = TruncateToSeconds(info.LastModified);
        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length > 0)
        {
            if (!ETags.Match(ifMatch, info.ETag))
            {
                throw S3Exception.PreconditionFailed("If-Match");
            }
        }
        else if (headers.IfUnmodifiedSince is { } unmodifiedSince && lastModified > unmodifiedSince)
        {
            throw S3Exception.PreconditionFailed("If-Unmodified-Since");
        }

        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
        {
            return !ETags.Match(ifNoneMatch, info.ETag);
        }

        return headers.IfModifiedSince is not { } modifiedSince || lastModified > modifiedSince;
    }

    private static WriteConditions WriteConditionsFrom(HttpRequest request)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString().Trim();
        if (ifNoneMatch.Length > 0 && ifNoneMatch != "*")
        {
            throw new S3Exception("NotImplemented", 501, "If-None-Match on a write only supports '*' (create only if the key does not exist)");
        }

        var ifMatch = request.Headers.IfMatch.ToString();
        return new WriteConditions(ifNoneMatch == "*", ifMatch.Length > 0 ? ifMatch : null);
    }

    /// <summary>The bytes a GET returns: a <c>Range</c>, a <c>partNumber</c> of a multipart object, or all of it.</summary>
    private static (long Offset, long Length, bool Partial) SelectBytes(HttpRequest request, S3Request s3, ObjectInfo info)
    {
        if (s3.Get("partNumber") is { } partText)
        {
            if (!int.TryParse(partText, NumberStyles.None, CultureInfo.InvariantCulture, out var part) || part < 1)
            {
                throw S3Exception.InvalidArgument($"Part number must be a positive integer, not '{partText}'");
            }

            if (info.PartSizes is not { } sizes)
            {
                return part == 1 ? (0, info.Size, false) : throw InvalidPartNumber(part);
            }

            if (part > sizes.Count)
            {
                throw InvalidPartNumber(part);
            }

            var start = sizes.Take(part - 1).Sum();
            return (start, sizes[part - 1], true);
        }

        var range = request.Headers.Range.ToString();
        if (range.Length == 0)
        {
            return (0, info.Size, false);
        }

        return ParseRange(range, info.Size) is { } selected ? (selected.Offset, selected.Length, true) : (0, info.Size, false);
    }

    private static S3Exception InvalidPartNumber(int part)
        => new("InvalidPartNumber", 416, $"The requested partnumber {part} is not satisfiable");

    /// <returns>Null for a header S3 ignores (malformed, or several ranges): the whole object is sent.</returns>
    internal static (long Offset, long Length)? ParseRange(string header, long size)
    {
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }

        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        var hasFirst = long.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first);
        var hasLast = long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var last);
        if ((firstText.Length > 0 && !hasFirst) || (lastText.Length > 0 && !hasLast) || (!hasFirst && !hasLast) || (hasFirst && hasLast && last < first))
        {
            return null;
        }

        if (!hasFirst)
        {
            // Suffix range: the last N bytes.
            return last == 0 || size == 0 ? throw InvalidRange(size) : (Math.Max(0, size - last), Math.Min(last, size));
        }

        if (first >= size)
        {
            throw InvalidRange(size);
        }

        var end = hasLast ? Math.Min(last, size - 1) : size - 1;
        return (first, end - first + 1);
    }

    private static S3Exception InvalidRange(long size) => new("InvalidRange", 416, "The requested range is not satisfiable")
    {
        Details = [new("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture))],
    };

    private static void WriteChecksumHeaders(HttpResponse response, ObjectInfo info)
    {
        foreach (var (algorithm, value) in info.Properties.Checksums)
        {
            response.Headers["x-amz-checksum-" + algorithm.ToLowerInvariant()] = value;
        }

        if (info.Properties.Checksums.Count > 0)
        {
            response.Headers["x-amz-checksum-type"] = "FULL_OBJECT";
        }
    }

    private static void SetIfPresent(HttpResponse response, string header, string? value)
    {
        if (value is not null)
        {
            response.Headers[header] = value;
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => value.AddTicks(-(value.UtcTicks % TimeSpan.TicksPerSecond));
}
