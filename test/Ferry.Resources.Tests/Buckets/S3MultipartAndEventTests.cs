using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Resources.Buckets;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>Multipart uploads and the notifications published for created and removed objects.</summary>
public sealed class S3MultipartAndEventTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
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

    private async Task<string> UploadPartAsync(string key, string uploadId, int number, byte[] bytes)
        => (await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = "photos", Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(bytes),
        })).ETag;

    [Fact]
    public async Task A_multipart_upload_assembles_its_parts_with_an_md5_of_md5s_etag()
    {
        var first = RandomNumberGenerator.GetBytes(5 * MiB);
        var second = RandomNumberGenerator.GetBytes(1234);
        var init = new InitiateMultipartUploadRequest { BucketName = "photos", Key = "video.bin", ContentType = "video/mp4" };
        init.Metadata.Add("camera", "front");
        var upload = await s3.InitiateMultipartUploadAsync(init);

        var etag2 = await UploadPartAsync("video.bin", upload.UploadId, 2, second);
        var etag1 = await UploadPartAsync("video.bin", upload.UploadId, 1, first);
        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "photos", Key = "video.bin", UploadId = upload.UploadId });
        Assert.Equal([1, 2], parts.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal([first.Length, second.Length], parts.Parts.Select(p => p.Size ?? 0));

        var completed = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "photos", Key = "video.bin", UploadId = upload.UploadId,
            PartETags = [new PartETag(1, etag1), new PartETag(2, etag2)],
        });

        var expectedETag = Convert.ToHexStringLower(MD5.HashData([.. MD5.HashData(first), .. MD5.HashData(second)])) + "-2";
        Assert.Equal($"\"{expectedETag}\"", completed.ETag);
        using var got = await s3.GetObjectAsync("photos", "video.bin");
        using var bytes = new MemoryStream();
        await got.ResponseStream.CopyToAsync(bytes);
        Assert.Equal([.. first, .. second], bytes.ToArray());
        Assert.Equal("video/mp4", got.Headers.ContentType);
        Assert.Equal("front", got.Metadata["x-amz-meta-camera"]);

        using var part2 = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "photos", Key = "video.bin", PartNumber = 2 });
        Assert.Equal(second.Length, part2.ContentLength);
        Assert.Equal(2, part2.PartsCount);

        var notification = Assert.Single(server.Events.Received);
        Assert.Equal(BucketNotification.ObjectCreatedCompleteMultipartUpload, notification.EventName);
        Assert.Equal(first.Length + second.Length, notification.Size);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.Root, "acme", "photos", "uploads")));
    }

    [Fact]
    public async Task Completing_with_a_small_middle_part_or_a_wrong_etag_fails_and_keeps_the_upload()
    {
        var upload = await s3.InitiateMultipartUploadAsync("photos", "parts.bin");
        var small = await UploadPartAsync("parts.bin", upload.UploadId, 1, new byte[100]);
        var last = await UploadPartAsync("parts.bin", upload.UploadId, 2, new byte[100]);

        var tooSmall = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "photos", Key = "parts.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, small), new PartETag(2, last)],
        }));
        Assert.Equal("EntityTooSmall", tooSmall.ErrorCode);

        var wrongETag = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "photos", Key = "parts.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, "\"00000000000000000000000000000000\"")],
        }));
        Assert.Equal("InvalidPart", wrongETag.ErrorCode);

        var completed = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "photos", Key = "parts.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, small)],
        });
        Assert.EndsWith("-1\"", completed.ETag, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_aborted_upload_is_gone()
    {
        var upload = await s3.InitiateMultipartUploadAsync("photos", "abandoned.bin");
        await UploadPartAsync("abandoned.bin", upload.UploadId, 1, new byte[10]);

        var aborted = await s3.AbortMultipartUploadAsync("photos", "abandoned.bin", upload.UploadId);
        Assert.Equal(HttpStatusCode.NoContent, aborted.HttpStatusCode);

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => UploadPartAsync("abandoned.bin", upload.UploadId, 2, new byte[10]));
        Assert.Equal("NoSuchUpload", error.ErrorCode);
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.AbortMultipartUploadAsync("photos", "abandoned.bin", "../../../etc"));
        Assert.Equal("NoSuchUpload", unknown.ErrorCode);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("photos", "abandoned.bin"));
    }

    [Fact]
    public async Task Upload_part_copy_takes_a_range_of_an_existing_object()
    {
        var source = RandomNumberGenerator.GetBytes(6 * MiB);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "docs", Key = "source.bin", InputStream = new MemoryStream(source) });
        var upload = await s3.InitiateMultipartUploadAsync("photos", "assembled.bin");

        var copied = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = "docs", SourceKey = "source.bin", DestinationBucket = "photos", DestinationKey = "assembled.bin",
            UploadId = upload.UploadId, PartNumber = 1, FirstByte = 0, LastByte = 5 * MiB - 1,
        });
        var tail = await UploadPartAsync("assembled.bin", upload.UploadId, 2, [1, 2, 3]);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "photos", Key = "assembled.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, copied.ETag), new PartETag(2, tail)],
        });

        using var got = await s3.GetObjectAsync("photos", "assembled.bin");
        using var bytes = new MemoryStream();
        await got.ResponseStream.CopyToAsync(bytes);
        Assert.Equal([.. source[..(5 * MiB)], 1, 2, 3], bytes.ToArray());
    }

    [Fact]
    public async Task Creating_copying_and_deleting_publish_s3_notifications()
    {
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "in/cat photo.jpg", ContentBody = "jpeg" });
        await s3.CopyObjectAsync("photos", "in/cat photo.jpg", "docs", "copy.jpg");
        await s3.DeleteObjectAsync("photos", "in/cat photo.jpg");
        await s3.DeleteObjectAsync("photos", "never-existed");
        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "docs", Objects = [new KeyVersion { Key = "copy.jpg" }] });

        var received = server.Events.Received;
        Assert.Equal(
        [
            ("photos", "ObjectCreated:Put", "in/cat photo.jpg"),
            ("docs", "ObjectCreated:Copy", "copy.jpg"),
            ("photos", "ObjectRemoved:Delete", "in/cat photo.jpg"),
            ("docs", "ObjectRemoved:Delete", "copy.jpg"),
        ], received.Select(n => (n.Bucket, n.EventName, n.Key)));
        Assert.All(received, n => Assert.Equal("acme", n.Tenant));
        Assert.Equal(put.ETag.Trim('"'), received[0].ETag);
        Assert.Equal(4, received[0].Size);
        Assert.Equal("us-east-1", received[0].Region);
    }

    [Fact]
    public async Task A_failing_event_sink_does_not_fail_the_write()
    {
        await using var failing = await BucketTestServer.StartAsync(sink: new ThrowingSink());
        using var client = failing.Client();

        var put = await client.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "stored-anyway", ContentBody = "x" });

        Assert.Equal(HttpStatusCode.OK, put.HttpStatusCode);
        Assert.NotNull(await failing.Storage.FindObjectAsync(new("acme", "photos"), "stored-anyway", CancellationToken.None));
    }

    private sealed class ThrowingSink : IBucketEventSink
    {
        public ValueTask PublishAsync(BucketNotification notification, CancellationToken cancellationToken)
            => throw new InvalidOperationException("subscriber is down");
    }
}
