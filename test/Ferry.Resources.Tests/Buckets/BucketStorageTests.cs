using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Resources.Buckets;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>The folder layout: keys that look like paths stay inside their bucket, writes are atomic.</summary>
public sealed class BucketStorageTests : IDisposable
{
    private static readonly BucketAddress Photos = new("acme", "photos");
    private readonly string directory = Directory.CreateTempSubdirectory("ferry-bucket-storage-").FullName;

    private string Root => Path.Combine(directory, "data");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static Func<ObjectProperties> Plain => () => new ObjectProperties();

    private async Task<BucketStorage> StorageWithBucketAsync()
    {
        var storage = new BucketStorage(Root);
        await storage.CreateBucketAsync(Photos, CancellationToken.None);
        return storage;
    }

    private static async Task<string> ReadAsync(BucketStorage storage, string key)
    {
        await using var stored = await storage.OpenObjectAsync(Photos, key, CancellationToken.None);
        await using var content = stored.OpenContent(0, stored.Info.Size);
        return await new StreamReader(content).ReadToEndAsync();
    }

    [Fact]
    public async Task Bucket_folders_are_0700_and_objects_and_uploads_0600()
    {
        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var storage = await StorageWithBucketAsync();
        await using (var content = new MemoryStream("secret bytes"u8.ToArray()))
        {
            await storage.PutObjectAsync(Photos, "notes/today.txt", content, Plain, 1 << 20, WriteConditions.None, CancellationToken.None);
        }

        var upload = await storage.CreateMultipartUploadAsync(Photos, "big.bin", new ObjectProperties(), CancellationToken.None);
        await using (var part = new MemoryStream(new byte[1024]))
        {
            await storage.UploadPartAsync(Photos, "big.bin", upload.UploadId, 1, part, 1 << 20, CancellationToken.None);
        }

        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(Root, "acme")));
        var entries = new DirectoryInfo(Path.Combine(Root, "acme")).EnumerateFileSystemInfos("*", SearchOption.AllDirectories).ToList();
        Assert.Contains(entries, e => e is FileInfo { Directory.Name: "parts" });
        Assert.All(entries, entry => Assert.True(
            (entry is DirectoryInfo ? folder : file) == entry.UnixFileMode, $"{entry.FullName} is {entry.UnixFileMode}"));
    }

    [Fact]
    public async Task Traversal_looking_keys_are_stored_and_read_back_through_the_sdk_without_leaving_the_root()
    {
        await using var server = await BucketTestServer.StartAsync();
        using var s3 = server.Client();
        string[] keys =
        [
            "../../escape.txt", "a/../../b", "..", ".", "./x", "back\\..\\slash", "%2e%2e/encoded", "../../../../../../tmp/x",
            "dir//double", "trailing/", "con", "~root", "question?mark#hash", "semi;colon & amp", "tab\tnewline\n",
        ];

        foreach (var key in keys)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = key, ContentBody = "value of " + key });
        }

        foreach (var key in keys)
        {
            using var got = await s3.GetObjectAsync("photos", key);
            Assert.Equal("value of " + key, await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Encoding = EncodingType.Url });
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.S3Objects.Select(o => Uri.UnescapeDataString(o.Key)).Order(StringComparer.Ordinal));

        // Everything the endpoint wrote is below data/acme/photos (plus its socket next to data/).
        var outside = Directory.EnumerateFileSystemEntries(server.Directory, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Path.Combine(server.Root, "acme", "photos") + "/", StringComparison.Ordinal)
                && !p.StartsWith(Path.Combine(server.Root, "acme", "docs") + "/", StringComparison.Ordinal)
                && !p.StartsWith(Path.Combine(server.Root, "other", "vault") + "/", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(server.Directory, p))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["data", "data/acme", "data/acme/docs", "data/acme/photos", "data/other", "data/other/vault", "s3.sock"], outside);
        Assert.All(Directory.EnumerateFiles(Path.Combine(server.Root, "acme", "photos", "objects"), "*", SearchOption.AllDirectories),
            path => Assert.Matches("^[0-9a-f]{64}$", Path.GetFileName(path)));
    }

    [Fact]
    public async Task Keys_the_http_layer_cannot_carry_are_still_confined_by_the_storage()
    {
        // The .NET SDK folds a leading '/' into the path and Kestrel refuses %00 in a path, so these only reach the
        // storage from code; they must be just as harmless there.
        var storage = await StorageWithBucketAsync();
        string[] keys = ["/etc/passwd", "nul\0inside", "../../../outside", "/", "\\server\\share"];
        foreach (var key in keys)
        {
            await storage.PutObjectAsync(Photos, key, new MemoryStream(Encoding.UTF8.GetBytes(key)), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);
        }

        foreach (var key in keys)
        {
            Assert.Equal(key, await ReadAsync(storage, key));
        }

        Assert.Equal(keys.Order(ObjectKeys.Utf8Order), (await storage.ListObjectsAsync(Photos, "", null, null, 100, CancellationToken.None)).Objects.Select(o => o.Key));
        Assert.Equal([Path.Combine(Root, "acme")], Directory.EnumerateFileSystemEntries(Root));
        Assert.Equal([Path.Combine(Root, "acme", "photos")], Directory.EnumerateFileSystemEntries(Path.Combine(Root, "acme")));
    }

    [Fact]
    public async Task Objects_survive_a_restart_and_are_listed_in_utf8_order()
    {
        var storage = await StorageWithBucketAsync();
        foreach (var key in new[] { "\U0001F600", "\uFF5E", "b", "a/1", "a/2" })
        {
            await storage.PutObjectAsync(Photos, key, new MemoryStream(Encoding.UTF8.GetBytes(key)), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);
        }

        var reopened = new BucketStorage(Root);
        var listing = await reopened.ListObjectsAsync(Photos, "", null, null, 1000, CancellationToken.None);
        Assert.Equal(["a/1", "a/2", "b", "\uFF5E", "\U0001F600"], listing.Objects.Select(o => o.Key));
        Assert.Equal("\U0001F600", await ReadAsync(reopened, "\U0001F600"));
    }

    [Fact]
    public async Task A_write_whose_content_fails_midway_leaves_neither_an_object_nor_a_temporary_file()
    {
        var storage = await StorageWithBucketAsync();
        await storage.PutObjectAsync(Photos, "doc", new MemoryStream("old"u8.ToArray()), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() =>
            storage.PutObjectAsync(Photos, "doc", new FailingStream(1000), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() =>
            storage.PutObjectAsync(Photos, "new", new FailingStream(1000), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None));

        Assert.Equal("old", await ReadAsync(storage, "doc"));
        Assert.Null(await storage.FindObjectAsync(Photos, "new", CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Root, "acme", "photos", "tmp")));
        Assert.Equal(["doc"], (await storage.ListObjectsAsync(Photos, "", null, null, 10, CancellationToken.None)).Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Concurrent_writes_to_one_key_leave_one_complete_version()
    {
        var storage = await StorageWithBucketAsync();
        var versions = Enumerable.Range(0, 8).Select(i => RandomNumberGenerator.GetBytes(256 * 1024 + i)).ToArray();

        await Task.WhenAll(versions.Select(bytes => Task.Run(() =>
            storage.PutObjectAsync(Photos, "contended", new MemoryStream(bytes), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None))));

        await using var stored = await storage.OpenObjectAsync(Photos, "contended", CancellationToken.None);
        await using var content = stored.OpenContent(0, stored.Info.Size);
        using var read = new MemoryStream();
        await content.CopyToAsync(read);
        var winner = Assert.Single(versions, v => v.AsSpan().SequenceEqual(read.ToArray()));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(winner)), stored.Info.ETag);
        var listed = Assert.Single((await storage.ListObjectsAsync(Photos, "", null, null, 10, CancellationToken.None)).Objects);
        Assert.Equal(stored.Info.ETag, listed.ETag);
    }

    [Fact]
    public async Task A_reader_keeps_the_version_it_opened_while_the_key_is_overwritten()
    {
        var storage = await StorageWithBucketAsync();
        await storage.PutObjectAsync(Photos, "k", new MemoryStream("first"u8.ToArray()), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);

        await using var opened = await storage.OpenObjectAsync(Photos, "k", CancellationToken.None);
        await storage.PutObjectAsync(Photos, "k", new MemoryStream("second version"u8.ToArray()), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);

        await using var content = opened.OpenContent(0, opened.Info.Size);
        Assert.Equal("first", await new StreamReader(content).ReadToEndAsync());
        Assert.Equal("second version", await ReadAsync(storage, "k"));
    }

    [Fact]
    public async Task Buckets_are_created_idempotently_listed_per_tenant_and_deleted_with_their_objects()
    {
        var storage = await StorageWithBucketAsync();
        await storage.CreateBucketAsync(Photos, CancellationToken.None);
        await storage.CreateBucketAsync(new("acme", "docs"), CancellationToken.None);
        await storage.CreateBucketAsync(new("other", "photos"), CancellationToken.None);
        await storage.PutObjectAsync(Photos, "x", new MemoryStream([1]), Plain, long.MaxValue, WriteConditions.None, CancellationToken.None);

        Assert.Equal(["docs", "photos"], storage.ListBuckets("acme"));
        Assert.Equal(["photos"], storage.ListBuckets("other"));
        Assert.Empty(storage.ListBuckets("nobody"));

        await storage.DeleteBucketAsync(Photos, CancellationToken.None);
        Assert.False(storage.Exists(Photos));
        Assert.Equal(["docs"], storage.ListBuckets("acme"));
        Assert.False(Directory.Exists(Path.Combine(Root, "acme", "photos")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(Root, "acme"), ".deleting-*"));

        await storage.CreateBucketAsync(Photos, CancellationToken.None);
        Assert.Empty((await storage.ListObjectsAsync(Photos, "", null, null, 10, CancellationToken.None)).Objects);
        Assert.True(storage.Exists(new("other", "photos")));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("under_score")]
    [InlineData("-leading")]
    [InlineData("192.168.1.1")]
    [InlineData("double..dot")]
    [InlineData("../escape")]
    public async Task Invalid_bucket_names_are_refused(string name)
    {
        var storage = new BucketStorage(Root);
        await Assert.ThrowsAsync<ArgumentException>(() => storage.CreateBucketAsync(new("acme", name), CancellationToken.None));
        Assert.False(Directory.Exists(Root) && Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Invalid_tenants_are_refused()
    {
        var storage = new BucketStorage(Root);
        await Assert.ThrowsAsync<ArgumentException>(() => storage.CreateBucketAsync(new("../x", "photos"), CancellationToken.None));
        Assert.Throws<ArgumentException>(() => storage.ListBuckets("a/b"));
    }

    [Fact]
    public void Range_headers_follow_s3_rules()
    {
        Assert.Equal((2L, 3L), S3Handlers.ParseRange("bytes=2-4", 10));
        Assert.Equal((7L, 3L), S3Handlers.ParseRange("bytes=-3", 10));
        Assert.Equal((0L, 10L), S3Handlers.ParseRange("bytes=-30", 10));
        Assert.Equal((9L, 1L), S3Handlers.ParseRange("bytes=9-", 10));
        Assert.Null(S3Handlers.ParseRange("bytes=4-2", 10));
        Assert.Null(S3Handlers.ParseRange("bytes=0-1,3-4", 10));
        Assert.Null(S3Handlers.ParseRange("items=0-1", 10));
        Assert.Equal("InvalidRange", Assert.Throws<S3Exception>(() => S3Handlers.ParseRange("bytes=10-", 10)).Code);
        Assert.Equal("InvalidRange", Assert.Throws<S3Exception>(() => S3Handlers.ParseRange("bytes=-1", 0)).Code);
    }

    private sealed class FailingStream(int failAfter) : Stream
    {
        private int served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (served >= failAfter)
            {
                throw new IOException("connection reset");
            }

            var n = Math.Min(count, failAfter - served);
            Array.Fill(buffer, (byte)'x', offset, n);
            served += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
