using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>Object operations through the official AWS SDK for .NET, over loopback HTTP.</summary>
public sealed class S3ObjectOperationTests : IAsyncLifetime
{
    private BucketTestServer server = null!;
    private AmazonS3Client s3 = null!;

    public async Task InitializeAsync()
    {
        server = await BucketTestServer.StartAsync();
        s3 = server.Client();
    }

    public async Task DisposeAsync()
    {
        s3.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Put_then_get_returns_the_bytes_content_type_metadata_and_md5_etag()
    {
        var put = new PutObjectRequest { BucketName = "photos", Key = "cats/tom.txt", ContentBody = "meow", ContentType = "text/plain" };
        put.Metadata.Add("owner", "jerry");
        var putResponse = await s3.PutObjectAsync(put);

        var md5 = Convert.ToHexStringLower(MD5.HashData("meow"u8));
        Assert.Equal($"\"{md5}\"", putResponse.ETag);
        using var got = await s3.GetObjectAsync("photos", "cats/tom.txt");
        Assert.Equal("meow", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        Assert.Equal("text/plain", got.Headers.ContentType);
        Assert.Equal("jerry", got.Metadata["x-amz-meta-owner"]);
        Assert.Equal($"\"{md5}\"", got.ETag);
        Assert.Equal(4, got.ContentLength);

        var head = await s3.GetObjectMetadataAsync("photos", "cats/tom.txt");
        Assert.Equal(4, head.ContentLength);
        Assert.Equal("jerry", head.Metadata["x-amz-meta-owner"]);
        Assert.Equal($"\"{md5}\"", head.ETag);
    }

    [Fact]
    public async Task A_larger_binary_object_round_trips_exactly()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "blob.bin", InputStream = new MemoryStream(bytes) });

        using var got = await s3.GetObjectAsync("photos", "blob.bin");
        using var copy = new MemoryStream();
        await got.ResponseStream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(bytes))}\"", got.ETag);
    }

    [Fact]
    public async Task Range_requests_return_the_selected_bytes()
    {
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "digits", ContentBody = "0123456789" });

        async Task<(string Body, string? ContentRange)> RangeAsync(ByteRange range)
        {
            using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "digits", ByteRange = range });
            Assert.Equal(HttpStatusCode.PartialContent, response.HttpStatusCode);
            return (await new StreamReader(response.ResponseStream).ReadToEndAsync(), response.ContentRange);
        }

        Assert.Equal(("234", "bytes 2-4/10"), await RangeAsync(new ByteRange(2, 4)));
        Assert.Equal(("789", "bytes 7-9/10"), await RangeAsync(new ByteRange("bytes=-3")));
        Assert.Equal(("89", "bytes 8-9/10"), await RangeAsync(new ByteRange("bytes=8-")));
        Assert.Equal(("56789", "bytes 5-9/10"), await RangeAsync(new ByteRange(5, 100)));

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "digits", ByteRange = new ByteRange(10, 20) }));
        Assert.Equal("InvalidRange", error.ErrorCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, error.StatusCode);
    }

    [Fact]
    public async Task Conditional_gets_answer_not_modified_and_precondition_failed()
    {
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "c.txt", ContentBody = "x" });

        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "c.txt", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        var failed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "c.txt", EtagToMatch = "\"0000\"" }));
        Assert.Equal("PreconditionFailed", failed.ErrorCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);

        var sinceFuture = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "c.txt", ModifiedSinceDate = DateTime.UtcNow.AddHours(1) }));
        Assert.Equal(HttpStatusCode.NotModified, sinceFuture.StatusCode);

        using var matched = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "c.txt", EtagToMatch = put.ETag });
        Assert.Equal("x", await new StreamReader(matched.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Missing_keys_and_buckets_raise_the_sdk_errors()
    {
        var noKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("photos", "nope"));
        Assert.Equal("NoSuchKey", noKey.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, noKey.StatusCode);

        var noBucket = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("ghost-bucket", "x"));
        Assert.Equal("NoSuchBucket", noBucket.ErrorCode);

        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("photos", "nope"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Delete_removes_the_object_and_deleting_a_missing_key_succeeds()
    {
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "gone.txt", ContentBody = "bye" });

        var deleted = await s3.DeleteObjectAsync("photos", "gone.txt");
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("photos", "gone.txt"));
        Assert.Equal(HttpStatusCode.NoContent, (await s3.DeleteObjectAsync("photos", "gone.txt")).HttpStatusCode);
    }

    [Fact]
    public async Task Delete_objects_removes_many_keys_in_one_request()
    {
        foreach (var key in new[] { "a", "b", "c" })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = key, ContentBody = key });
        }

        var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = "photos",
            Objects = [new KeyVersion { Key = "a" }, new KeyVersion { Key = "c" }, new KeyVersion { Key = "never-existed" }],
        });

        Assert.Equal(["a", "c", "never-existed"], response.DeletedObjects.Select(d => d.Key).Order());
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos" });
        Assert.Equal(["b"], left.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Copy_object_keeps_or_replaces_metadata_and_works_across_the_tenants_buckets()
    {
        var put = new PutObjectRequest { BucketName = "photos", Key = "orig.txt", ContentBody = "payload", ContentType = "text/plain" };
        put.Metadata.Add("color", "red");
        await s3.PutObjectAsync(put);

        var copy = await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "photos", SourceKey = "orig.txt", DestinationBucket = "docs", DestinationKey = "copies/orig.txt",
        });
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData("payload"u8))}\"", copy.ETag);
        var kept = await s3.GetObjectMetadataAsync("docs", "copies/orig.txt");
        Assert.Equal("red", kept.Metadata["x-amz-meta-color"]);
        Assert.Equal("text/plain", kept.Headers.ContentType);

        var replace = new CopyObjectRequest
        {
            SourceBucket = "photos", SourceKey = "orig.txt", DestinationBucket = "photos", DestinationKey = "orig.txt",
            MetadataDirective = S3MetadataDirective.REPLACE, ContentType = "application/json",
        };
        replace.Metadata.Add("color", "blue");
        await s3.CopyObjectAsync(replace);
        var replaced = await s3.GetObjectMetadataAsync("photos", "orig.txt");
        Assert.Equal("blue", replaced.Metadata["x-amz-meta-color"]);
        Assert.Equal("application/json", replaced.Headers.ContentType);

        var toItself = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "photos", SourceKey = "orig.txt", DestinationBucket = "photos", DestinationKey = "orig.txt",
        }));
        Assert.Equal("InvalidRequest", toItself.ErrorCode);
    }

    [Fact]
    public async Task Copy_from_another_tenants_bucket_is_denied()
    {
        using var other = server.Client(BucketTestServer.OtherKey, BucketTestServer.OtherSecret);
        await other.PutObjectAsync(new PutObjectRequest { BucketName = "vault", Key = "secret.txt", ContentBody = "classified" });

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "vault", SourceKey = "secret.txt", DestinationBucket = "photos", DestinationKey = "stolen.txt",
        }));
        // "vault" names no bucket of acme's, and acme's names are all it can see.
        Assert.Equal("NoSuchBucket", error.ErrorCode);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("photos", "stolen.txt"));
    }

    [Fact]
    public async Task Conditional_put_with_if_none_match_star_creates_only_once()
    {
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "once", ContentBody = "first", IfNoneMatch = "*" });
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "once", ContentBody = "second", IfNoneMatch = "*" }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, error.StatusCode);
        using var got = await s3.GetObjectAsync("photos", "once");
        Assert.Equal("first", await new StreamReader(got.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Keys_longer_than_1024_bytes_are_refused()
    {
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = new string('k', 1025), ContentBody = "x" }));
        Assert.Equal("KeyTooLongError", error.ErrorCode);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = new string('é', 512), ContentBody = "x" });
    }

    [Fact]
    public async Task Objects_over_the_size_limit_are_refused_with_entity_too_large()
    {
        await using var small = await BucketTestServer.StartAsync(o => o with { MaxObjectBytes = 1000 });
        using var client = small.Client();

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            client.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "big", InputStream = new MemoryStream(new byte[1001]) }));

        Assert.Equal("EntityTooLarge", error.ErrorCode);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "fits", InputStream = new MemoryStream(new byte[1000]) });
        Assert.Empty(System.IO.Directory.EnumerateFiles(Path.Combine(small.Root, "acme", "photos", "tmp")));
    }

    [Fact]
    public async Task Content_headers_are_stored_and_presigned_style_overrides_apply()
    {
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "photos", Key = "page.html", ContentBody = "<p>hi</p>", ContentType = "text/html",
            Headers = { CacheControl = "max-age=60", ContentDisposition = "inline" },
        });

        using var got = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = "photos", Key = "page.html",
            ResponseHeaderOverrides = new ResponseHeaderOverrides { ContentType = "text/plain" },
        });
        Assert.Equal("text/plain", got.Headers.ContentType);
        Assert.Equal("max-age=60", got.Headers.CacheControl);
        Assert.Equal("inline", got.Headers.ContentDisposition);
    }

    [Fact]
    public async Task Empty_objects_are_allowed()
    {
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "folder/", InputStream = new MemoryStream() });

        using var got = await s3.GetObjectAsync("photos", "folder/");
        Assert.Equal(0, got.ContentLength);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData([]))}\"", got.ETag);
    }
}
