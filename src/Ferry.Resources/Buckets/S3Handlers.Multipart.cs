using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>Multipart uploads: Create, UploadPart (and UploadPartCopy), ListParts, Complete, Abort.</summary>
internal sealed partial class S3Handlers
{
    private const int MaxListParts = 1000;

    private async Task CreateMultipartUploadAsync(HttpContext http, S3Request request, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var upload = await storage.CreateMultipartUploadAsync(bucket, request.Key!, PropertiesFrom(http.Request), cancellationToken);
        await S3Xml.WriteAsync(http.Response, 200, "InitiateMultipartUploadResult", xml =>
        {
            xml.Element("Bucket", bucket.Name);
            xml.Element("Key", upload.Key);
            xml.Element("UploadId", upload.UploadId);
        }, cancellationToken);
    }

    private async Task UploadPartAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var partNumber = PartNumber(request);
        UploadedPart part;
        string? checksumHeader = null;
        string? checksumValue = null;
        await using (var payload = PayloadStream.Open(http.Request, caller.ContentSha256, caller.Signing, options.MaxObjectBytes))
        {
            part = await storage.UploadPartAsync(bucket, request.Key!, request.Get("uploadId")!, partNumber, payload, options.MaxObjectBytes, cancellationToken);
            if (payload.VerifiedChecksums.FirstOrDefault() is { Key: not null } checksum)
            {
                checksumHeader = "x-amz-checksum-" + checksum.Key.ToLowerInvariant();
                checksumValue = checksum.Value;
            }
        }

        http.Response.StatusCode = 200;
        http.Response.Headers.ETag = ETags.Quote(part.ETag);
        if (checksumHeader is not null)
        {
            http.Response.Headers[checksumHeader] = checksumValue;
        }
    }

    private async Task UploadPartCopyAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var partNumber = PartNumber(request);
        var (sourceBucket, sourceKey) = CopySource(http.Request, caller);
        await CheckCopySourceConditionsAsync(http.Request, sourceBucket, sourceKey, cancellationToken);
        await using var source = await storage.OpenObjectAsync(sourceBucket, sourceKey, cancellationToken);
        var (offset, length) = (0L, source.Info.Size);
        if (http.Request.Headers["x-amz-copy-source-range"].ToString() is { Length: > 0 } range)
        {
            (offset, length) = ParseRange(range, source.Info.Size)
                ?? throw S3Exception.InvalidArgument($"The x-amz-copy-source-range value must be of the form bytes=first-last, not '{range}'");
        }

        await using var content = source.OpenContent(offset, length);
        var part = await storage.UploadPartAsync(bucket, request.Key!, request.Get("uploadId")!, partNumber, content, options.MaxObjectBytes, cancellationToken);
        await S3Xml.WriteAsync(http.Response, 200, "CopyPartResult", xml =>
        {
            xml.Element("LastModified", part.LastModified);
            xml.Element("ETag", ETags.Quote(part.ETag));
        }, cancellationToken);
    }

    private async Task ListPartsAsync(HttpContext http, S3Request request, BucketAddress bucket, CancellationToken cancellationToken)
    {
        var uploadId = request.Get("uploadId")!;
        var marker = ParseNonNegative(request, "part-number-marker") ?? 0;
        var maxParts = Math.Min(ParseNonNegative(request, "max-parts") ?? MaxListParts, MaxListParts);
        var parts = await storage.ListPartsAsync(bucket, request.Key!, uploadId, cancellationToken);
        var page = parts.Where(p => p.PartNumber > marker).Take(maxParts + 1).ToList();
        var truncated = page.Count > maxParts;
        if (truncated)
        {
            page.RemoveAt(page.Count - 1);
        }

        await S3Xml.WriteAsync(http.Response, 200, "ListPartsResult", xml =>
        {
            xml.Element("Bucket", bucket.Name);
            xml.Element("Key", request.Key);
            xml.Element("UploadId", uploadId);
            xml.Element("PartNumberMarker", marker);
            xml.Element("NextPartNumberMarker", page.Count > 0 ? page[^1].PartNumber : marker);
            xml.Element("MaxParts", maxParts);
            xml.Element("IsTruncated", truncated);
            xml.Element("StorageClass", "STANDARD");
            foreach (var part in page)
            {
                xml.WriteStartElement("Part", S3Xml.Namespace);
                xml.Element("PartNumber", part.PartNumber);
                xml.Element("LastModified", part.LastModified);
                xml.Element("ETag", ETags.Quote(part.ETag));
                xml.Element("Size", part.Size);
                xml.WriteEndElement();
            }
        }, cancellationToken);
    }

    private async Task CompleteMultipartUploadAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        byte[] body;
        await using (var payload = PayloadStream.Open(http.Request, caller.ContentSha256, caller.Signing, S3Xml.MaxRequestDocumentBytes))
        {
            body = await payload.ReadAllAsync(S3Xml.MaxRequestDocumentBytes, cancellationToken);
        }

        var root = S3Xml.Parse(body, "CompleteMultipartUpload");
        var parts = new List<(int PartNumber, string ETag)>();
        foreach (var part in root.Children("Part"))
        {
            if (!int.TryParse(part.ChildText("PartNumber")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                || part.ChildText("ETag") is not { } etag)
            {
                throw S3Exception.MalformedXml("every <Part> needs a <PartNumber> and an <ETag>");
            }

            parts.Add((number, etag));
        }

        var completed = await storage.CompleteMultipartUploadAsync(bucket, request.Key!, request.Get("uploadId")!, parts,
            options.MinPartBytes, options.MaxObjectBytes, cancellationToken);
        await S3Xml.WriteAsync(http.Response, 200, "CompleteMultipartUploadResult", xml =>
        {
            xml.Element("Location", $"{http.Request.Scheme}://{http.Request.Host}/{bucket.Name}/{Uri.EscapeDataString(completed.Key)}");
            xml.Element("Bucket", bucket.Name);
            xml.Element("Key", completed.Key);
            xml.Element("ETag", ETags.Quote(completed.ETag));
        }, cancellationToken);
        await PublishAsync(bucket, BucketNotification.ObjectCreatedCompleteMultipartUpload, completed.Key, completed.Size, completed.ETag, cancellationToken);
    }

    private async Task AbortMultipartUploadAsync(HttpContext http, S3Request request, BucketAddress bucket, CancellationToken cancellationToken)
    {
        await storage.AbortMultipartUploadAsync(bucket, request.Key!, request.Get("uploadId")!, cancellationToken);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static int PartNumber(S3Request request)
        => int.TryParse(request.Get("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw S3Exception.InvalidArgument($"Part number must be an integer between 1 and {BucketStorage.MaxPartNumber}, inclusive");

    private static int? ParseNonNegative(S3Request request, string parameter)
        => request.Get(parameter) is not { } text
            ? null
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw S3Exception.InvalidArgument($"{parameter} must be a non-negative integer, not '{text}'");
}
