namespace Ferry.Resources.Tests.Buckets;

/// <summary>
/// The AWS SDK for JavaScript v3 against the endpoint, with its default checksum behaviour: over plain HTTP a buffer
/// body is signed by its SHA-256 with an <c>x-amz-checksum-crc32</c> header, a stream body goes
/// <c>STREAMING-UNSIGNED-PAYLOAD-TRAILER</c> (aws-chunked, CRC32 trailer), and GetObject validates the CRC32 the
/// endpoint returns.
/// </summary>
public sealed class JavaScriptSdkTests
{
    private static readonly string ClientDirectory = SdkClient.Folder("s3-client");

    [Fact]
    public async Task The_javascript_sdk_puts_gets_lists_copies_and_deletes()
    {
        await using var server = await BucketTestServer.StartAsync();
        await SdkClient.EnsureInstalledAsync(ClientDirectory, "@aws-sdk/client-s3");

        var root = await SdkClient.RunScriptAsync(SdkClient.Node, "s3.mjs", ClientDirectory, new
        {
            endpoint = server.Endpoint.TcpAddress.ToString().TrimEnd('/'),
            accessKeyId = BucketTestServer.AcmeKey,
            secretAccessKey = BucketTestServer.AcmeSecret,
            bucket = "photos",
        });

        Assert.Equal("hello from javascript", root.GetProperty("body").GetString());
        Assert.Equal("text/plain", root.GetProperty("contentType").GetString());
        Assert.Equal("node", root.GetProperty("metadata").GetProperty("origin").GetString());
        Assert.True(root.GetProperty("bigMatches").GetBoolean());
        Assert.Equal(300 * 1024, root.GetProperty("bigLength").GetInt32());
        Assert.EndsWith("-2\"", root.GetProperty("multipartETag").GetString(), StringComparison.Ordinal);
        Assert.Equal(["js/big.bin", "js/copy.txt", "js/hello world.txt", "js/multi.bin"], root.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/"], root.GetProperty("commonPrefixes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/copy.txt", "js/multi.bin"], root.GetProperty("deleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/hello world.txt"], root.GetProperty("remaining").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("NoSuchKey", root.GetProperty("missingError").GetString());

        var stored = await server.Storage.FindObjectAsync(new("acme", "photos"), "js/hello world.txt", CancellationToken.None);
        Assert.Equal("CRC32", Assert.Single(stored!.Properties.Checksums).Key);
        Assert.Null(stored.Properties.ContentEncoding);
        Assert.Equal(
            ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete", "ObjectRemoved:Delete", "ObjectRemoved:Delete"],
            server.Events.Received.Select(n => n.EventName));
    }
}
