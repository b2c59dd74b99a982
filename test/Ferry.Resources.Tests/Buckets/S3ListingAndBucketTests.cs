using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>Bucket operations and listings through the AWS SDK for .NET.</summary>
public sealed class S3ListingAndBucketTests : IAsyncLifetime
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

    private async Task PutAllAsync(params string[] keys)
    {
        foreach (var key in keys)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = key, ContentBody = key });
        }
    }

    [Fact]
    public async Task List_buckets_shows_the_principals_buckets_only()
    {
        var all = await s3.ListBucketsAsync();
        Assert.Equal(["docs", "photos"], all.Buckets.Select(b => b.BucketName));
        Assert.All(all.Buckets, b => Assert.True(b.CreationDate > DateTime.UtcNow.AddHours(-1)));

        using var limited = server.Client(BucketTestServer.LimitedKey, BucketTestServer.LimitedSecret);
        Assert.Equal(["photos"], (await limited.ListBucketsAsync()).Buckets.Select(b => b.BucketName));
    }

    [Fact]
    public async Task Head_bucket_and_location_answer_for_existing_buckets()
    {
        var head = await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = "photos" });
        Assert.Equal(HttpStatusCode.OK, head.HttpStatusCode);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = "nothing-here" }));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var location = await s3.GetBucketLocationAsync("photos");
        Assert.Equal(S3Region.USEast1, location.Location ?? S3Region.USEast1);
    }

    [Fact]
    public async Task Buckets_cannot_be_created_or_deleted_through_the_api()
    {
        var create = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync("brand-new"));
        Assert.Equal("AccessDenied", create.ErrorCode);
        Assert.Contains("serverless.yml", create.Message, StringComparison.Ordinal);
        Assert.False(server.Storage.Exists(new("acme", "brand-new")));

        var delete = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync("photos"));
        Assert.Equal("AccessDenied", delete.ErrorCode);
        Assert.Contains("serverless.yml", delete.Message, StringComparison.Ordinal);
        Assert.True(server.Storage.Exists(new("acme", "photos")));

        var existing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync("photos"));
        Assert.Equal("BucketAlreadyOwnedByYou", existing.ErrorCode);
    }

    [Fact]
    public async Task Delimiter_rolls_keys_up_into_common_prefixes()
    {
        await PutAllAsync("2024/jan/a.jpg", "2024/feb/b.jpg", "2025/mar/c.jpg", "readme.txt", "2024/top.jpg");

        var root = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Delimiter = "/" });
        Assert.Equal(["2024/", "2025/"], root.CommonPrefixes);
        Assert.Equal(["readme.txt"], root.S3Objects.Select(o => o.Key));
        Assert.Equal(3, root.KeyCount);

        var year = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Prefix = "2024/", Delimiter = "/" });
        Assert.Equal(["2024/feb/", "2024/jan/"], year.CommonPrefixes);
        Assert.Equal(["2024/top.jpg"], year.S3Objects.Select(o => o.Key));
        Assert.All(year.S3Objects, o => Assert.Equal(12, o.Size));
    }

    [Fact]
    public async Task Pagination_with_max_keys_and_continuation_tokens_visits_every_key_once()
    {
        var keys = Enumerable.Range(0, 23).Select(i => $"k/{i:D3}").ToArray();
        await PutAllAsync(keys);

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", MaxKeys = 5, ContinuationToken = token });
            seen.AddRange(page.S3Objects.Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
            pages++;
        }
        while (token is not null);

        Assert.Equal(keys, seen);
        Assert.Equal(5, pages);

        var after = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", StartAfter = "k/020" });
        Assert.Equal(["k/021", "k/022"], after.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Pagination_over_common_prefixes_does_not_repeat_them()
    {
        await PutAllAsync("a/1", "a/2", "b/1", "c", "d/1", "d/2");

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Delimiter = "/", MaxKeys = 1, ContinuationToken = token });
            seen.AddRange(page.CommonPrefixes ?? []);
            seen.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        Assert.Equal(["a/", "b/", "c", "d/"], seen);
    }

    [Fact]
    public async Task List_objects_v1_pages_with_markers()
    {
        await PutAllAsync("x1", "x2", "x3");

        var first = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = "photos", MaxKeys = 2 });
        Assert.Equal(["x1", "x2"], first.S3Objects.Select(o => o.Key));
        Assert.True(first.IsTruncated);

        var second = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = "photos", Marker = "x2" });
        Assert.Equal(["x3"], second.S3Objects.Select(o => o.Key));
        Assert.False(second.IsTruncated ?? false);
    }

    [Fact]
    public async Task Listing_is_in_utf8_byte_order_and_url_encoding_round_trips_odd_keys()
    {
        // U+FF5E sorts before U+1F600 in UTF-8 although its UTF-16 code unit is larger than a surrogate's.
        string[] keys = ["B", "a", "a b+c", "\uFF5E", "\U0001F600", "é"];
        await PutAllAsync(keys);

        var plain = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos" });
        Assert.Equal(["B", "a", "a b+c", "é", "\uFF5E", "\U0001F600"], plain.S3Objects.Select(o => o.Key));

        var encoded = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Encoding = EncodingType.Url });
        Assert.Equal(["B", "a", "a b+c", "é", "\uFF5E", "\U0001F600"], encoded.S3Objects.Select(o => Uri.UnescapeDataString(o.Key)));
    }

    [Fact]
    public async Task Invalid_listing_arguments_are_refused()
    {
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", ContinuationToken = "!!!not-a-token" }));
        Assert.Equal("InvalidArgument", error.ErrorCode);
    }
}
