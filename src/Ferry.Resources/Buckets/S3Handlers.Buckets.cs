using System.Globalization;
using System.Text;
using System.Xml;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>Service and bucket operations: ListBuckets, HeadBucket, GetBucketLocation, listings, DeleteObjects.</summary>
internal sealed partial class S3Handlers
{
    private const int MaxListKeys = 1000;
    private const int MaxDeleteKeys = 1000;

    private const string DeclaredInManifest =
        "Buckets are declared in the app's serverless.yml and created or removed when the app is deployed; the S3 API cannot {0} buckets";

    private async Task ListBucketsAsync(HttpContext http, S3Caller caller, CancellationToken cancellationToken)
    {
        var tenant = caller.Principal.Tenant;
        var buckets = new List<(string Name, DateTimeOffset Created)>();
        foreach (var name in storage.ListBuckets(tenant))
        {
            var bucket = new BucketAddress(tenant, name);
            if (caller.Principal.MayUse(bucket) && await storage.CreatedAtAsync(bucket, cancellationToken) is { } created)
            {
                buckets.Add((name, created));
            }
        }

        await S3Xml.WriteAsync(http.Response, 200, "ListAllMyBucketsResult", xml =>
        {
            WriteOwner(xml, tenant);
            xml.WriteStartElement("Buckets", S3Xml.Namespace);
            foreach (var (name, created) in buckets)
            {
                xml.WriteStartElement("Bucket", S3Xml.Namespace);
                xml.Element("Name", name);
                xml.Element("CreationDate", created);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }, cancellationToken);
    }

    private Task HandleBucketAsync(HttpContext http, S3Request request, S3Caller caller, CancellationToken cancellationToken)
    {
        var bucket = Authorize(caller, request.Bucket!);
        return request.Method switch
        {
            "HEAD" => HeadBucketAsync(http, bucket),
            "GET" when request.Has("location") => GetBucketLocationAsync(http, bucket, cancellationToken),
            "GET" when request.Has("versioning") => GetBucketVersioningAsync(http, bucket, cancellationToken),
            "GET" when request.Has("uploads") => throw new S3Exception("NotImplemented", 501,
                "ListMultipartUploads is not implemented; keep the UploadId that CreateMultipartUpload returns"),
            "GET" when request.Get("list-type") == "2" => ListObjectsAsync(http, request, bucket, version2: true, cancellationToken),
            "GET" => ListObjectsAsync(http, request, bucket, version2: false, cancellationToken),
            "POST" when request.Has("delete") => DeleteObjectsAsync(http, request, caller, bucket, cancellationToken),
            "PUT" when storage.Exists(bucket) => throw new S3Exception("BucketAlreadyOwnedByYou", 409,
                $"Your previous request to create the named bucket succeeded and you already own it. {string.Format(CultureInfo.InvariantCulture, DeclaredInManifest, "create")}")
            {
                Details = [new("BucketName", bucket.Name)],
            },
            "PUT" => throw S3Exception.AccessDenied(string.Format(CultureInfo.InvariantCulture, DeclaredInManifest, "create")),
            "DELETE" => throw S3Exception.AccessDenied(string.Format(CultureInfo.InvariantCulture, DeclaredInManifest, "delete")),
            _ => throw MethodNotAllowed(request.Method, "a bucket"),
        };
    }

    private Task HeadBucketAsync(HttpContext http, BucketAddress bucket)
    {
        if (!storage.Exists(bucket))
        {
            throw S3Exception.NoSuchBucket(bucket.Name);
        }

        http.Response.StatusCode = 200;
        http.Response.Headers["x-amz-bucket-region"] = options.Region;
        return Task.CompletedTask;
    }

    private Task GetBucketLocationAsync(HttpContext http, BucketAddress bucket, CancellationToken cancellationToken)
    {
        if (!storage.Exists(bucket))
        {
            throw S3Exception.NoSuchBucket(bucket.Name);
        }

        // S3 reports us-east-1 as an empty constraint, and SDKs map empty back to us-east-1.
        var region = options.Region == "us-east-1" ? "" : options.Region;
        var document = S3Xml.Document("LocationConstraint", xml => xml.WriteString(region));
        http.Response.ContentType = "application/xml";
        http.Response.ContentLength = document.Length;
        return http.Response.Body.WriteAsync(document, cancellationToken).AsTask();
    }

    private Task GetBucketVersioningAsync(HttpContext http, BucketAddress bucket, CancellationToken cancellationToken)
        => storage.Exists(bucket)
            ? S3Xml.WriteAsync(http.Response, 200, "VersioningConfiguration", _ => { }, cancellationToken)
            : throw S3Exception.NoSuchBucket(bucket.Name);

    private async Task ListObjectsAsync(HttpContext http, S3Request request, BucketAddress bucket, bool version2, CancellationToken cancellationToken)
    {
        var prefix = request.Get("prefix") ?? "";
        var delimiter = request.Get("delimiter") is { Length: > 0 } d ? d : null;
        var encodingType = request.Get("encoding-type");
        if (encodingType is not null && encodingType != "url")
        {
            throw S3Exception.InvalidArgument($"Invalid Encoding Method specified in Request: encoding-type must be 'url', not '{encodingType}'");
        }

        var maxKeys = MaxListKeys;
        if (request.Get("max-keys") is { } maxKeysText
            && (!int.TryParse(maxKeysText, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys)))
        {
            throw S3Exception.InvalidArgument($"Provided max-keys not an integer or within integer range: '{maxKeysText}'");
        }

        maxKeys = Math.Min(maxKeys, MaxListKeys);
        var continuationToken = version2 ? request.Get("continuation-token") : null;
        var startAfter = version2 ? request.Get("start-after") : null;
        var marker = version2 ? (continuationToken is null ? startAfter : DecodeContinuationToken(continuationToken)) : request.Get("marker");
        var listing = await storage.ListObjectsAsync(bucket, prefix, delimiter, marker is { Length: > 0 } ? marker : null, maxKeys, cancellationToken);
        var url = encodingType == "url";
        string Encode(string value) => url ? UrlEncodeForListing(value) : value;
        var fetchOwner = !version2 || request.Get("fetch-owner") == "true";

        await S3Xml.WriteAsync(http.Response, 200, "ListBucketResult", xml =>
        {
            xml.Element("Name", bucket.Name);
            xml.Element("Prefix", Encode(prefix));
            if (version2)
            {
                xml.Element("KeyCount", listing.Objects.Count + listing.CommonPrefixes.Count);
                xml.Element("ContinuationToken", continuationToken);
                if (listing.IsTruncated && listing.NextMarker is not null)
                {
                    xml.Element("NextContinuationToken", EncodeContinuationToken(listing.NextMarker));
                }

                xml.Element("StartAfter", startAfter is null ? null : Encode(startAfter));
            }
            else
            {
                xml.Element("Marker", Encode(marker ?? ""));
                if (listing.IsTruncated && listing.NextMarker is not null)
                {
                    xml.Element("NextMarker", Encode(listing.NextMarker));
                }
            }

            xml.Element("MaxKeys", maxKeys);
            xml.Element("Delimiter", delimiter is null ? null : Encode(delimiter));
            xml.Element("EncodingType", encodingType);
            xml.Element("IsTruncated", listing.IsTruncated);
            foreach (var found in listing.Objects)
            {
                xml.WriteStartElement("Contents", S3Xml.Namespace);
                xml.Element("Key", Encode(found.Key));
                xml.Element("LastModified", found.LastModified);
                xml.Element("ETag", ETags.Quote(found.ETag));
                xml.Element("Size", found.Size);
                xml.Element("StorageClass", "STANDARD");
                if (fetchOwner)
                {
                    WriteOwner(xml, bucket.Tenant);
                }

                xml.WriteEndElement();
            }

            foreach (var common in listing.CommonPrefixes)
            {
                xml.WriteStartElement("CommonPrefixes", S3Xml.Namespace);
                xml.Element("Prefix", Encode(common));
                xml.WriteEndElement();
            }
        }, cancellationToken);
    }

    private async Task DeleteObjectsAsync(HttpContext http, S3Request request, S3Caller caller, BucketAddress bucket, CancellationToken cancellationToken)
    {
        if (!storage.Exists(bucket))
        {
            throw S3Exception.NoSuchBucket(bucket.Name);
        }

        byte[] body;
        await using (var payload = PayloadStream.Open(http.Request, caller.ContentSha256, caller.Signing, S3Xml.MaxRequestDocumentBytes))
        {
            body = await payload.ReadAllAsync(S3Xml.MaxRequestDocumentBytes, cancellationToken);
        }

        var root = S3Xml.Parse(body, "Delete");
        var quiet = root.ChildText("Quiet")?.Trim() == "true";
        var keys = root.Children("Object").Select(o => o.ChildText("Key")).ToList();
        if (keys.Count is 0 or > MaxDeleteKeys || keys.Any(k => k is null))
        {
            throw S3Exception.MalformedXml($"<Delete> must list 1 to {MaxDeleteKeys} <Object> elements, each with a <Key>");
        }

        var deleted = new List<string>();
        var errors = new List<(string Key, S3Exception Error)>();
        foreach (var key in keys.OfType<string>())
        {
            try
            {
                ObjectKeys.Validate(key);
                if (await storage.DeleteObjectAsync(bucket, key, cancellationToken) is { } removed)
                {
                    await PublishAsync(bucket, BucketNotification.ObjectRemovedDelete, key, removed.Size, removed.ETag, cancellationToken);
                }

                deleted.Add(key);
            }
            catch (S3Exception e)
            {
                errors.Add((key, e));
            }
        }

        await S3Xml.WriteAsync(http.Response, 200, "DeleteResult", xml =>
        {
            if (!quiet)
            {
                foreach (var key in deleted)
                {
                    xml.WriteStartElement("Deleted", S3Xml.Namespace);
                    xml.Element("Key", key);
                    xml.WriteEndElement();
                }
            }

            foreach (var (key, error) in errors)
            {
                xml.WriteStartElement("Error", S3Xml.Namespace);
                xml.Element("Key", key);
                xml.Element("Code", error.Code);
                xml.Element("Message", error.Message);
                xml.WriteEndElement();
            }
        }, cancellationToken);
    }

    private static void WriteOwner(XmlWriter xml, string tenant)
    {
        xml.WriteStartElement("Owner", S3Xml.Namespace);
        xml.Element("ID", tenant);
        xml.Element("DisplayName", tenant);
        xml.WriteEndElement();
    }

    private static string EncodeContinuationToken(string marker)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(marker)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeContinuationToken(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return ObjectKeys.DecodeUtf8(Convert.FromBase64String(base64), "continuation token");
        }
        catch (FormatException)
        {
            throw S3Exception.InvalidArgument("The continuation token provided is incorrect");
        }
    }

    /// <summary>encoding-type=url: percent-encoding that both '+'-decoding (boto3) and plain decoding read back.</summary>
    private static string UrlEncodeForListing(string value)
        => SigV4Verifier.UriEncode(Encoding.UTF8.GetBytes(value)).Replace("%2F", "/", StringComparison.Ordinal);
}
