using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Resources.Buckets;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>The write check of the endpoint: a tenant over its storage quota can read and delete, not write.</summary>
public sealed class BucketQuotaTests : IAsyncLifetime
{
    private const string Refusal = "Tenant 'acme' is over its storage quota: 12 MB used of 10 MB";
    private BucketTestServer server = null!;

    public async Task InitializeAsync() => server = await BucketTestServer.StartAsync(options => options with
    {
        WriteAdmission = tenant => tenant == "acme" ? S3Exception.QuotaExceeded(Refusal) : null,
    });

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Writes_of_a_tenant_over_quota_get_507_QuotaExceeded_while_reads_deletes_and_other_tenants_work()
    {
        await server.Storage.PutObjectAsync(new BucketAddress("acme", "photos"), "old.txt", new MemoryStream("kept"u8.ToArray()),
            () => new ObjectProperties(), long.MaxValue, WriteConditions.None, CancellationToken.None);
        using var acme = server.Client();
        using var other = server.Client(BucketTestServer.OtherKey, BucketTestServer.OtherSecret);

        var put = await Assert.ThrowsAsync<AmazonS3Exception>(() => acme.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "new.txt", ContentBody = "x" }));
        Assert.Equal((HttpStatusCode)507, put.StatusCode);
        Assert.Equal("QuotaExceeded", put.ErrorCode);
        Assert.Contains(Refusal, put.Message);
        var multipart = await Assert.ThrowsAsync<AmazonS3Exception>(() => acme.InitiateMultipartUploadAsync("photos", "big.bin"));
        Assert.Equal("QuotaExceeded", multipart.ErrorCode);

        using (var got = await acme.GetObjectAsync("photos", "old.txt"))
        {
            Assert.Equal("kept", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }

        await acme.DeleteObjectAsync("photos", "old.txt");
        await acme.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "photos", Objects = [new KeyVersion { Key = "gone.txt" }] });
        await other.PutObjectAsync(new PutObjectRequest { BucketName = "vault", Key = "fine.txt", ContentBody = "ok" });
        Assert.Empty((await acme.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos" })).S3Objects ?? []);
    }
}
