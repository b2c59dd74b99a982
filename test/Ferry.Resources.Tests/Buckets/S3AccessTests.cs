using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>Authentication and authorization: signatures, keys, tenants, presigned URLs, the UNIX socket.</summary>
public sealed class S3AccessTests : IAsyncLifetime
{
    private BucketTestServer server = null!;
    private AmazonS3Client s3 = null!;

    public async Task InitializeAsync()
    {
        server = await BucketTestServer.StartAsync();
        s3 = server.Client();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "hello.txt", ContentBody = "hello" });
    }

    public async Task DisposeAsync()
    {
        s3.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_with_signature_does_not_match()
    {
        using var wrong = server.Client(BucketTestServer.AcmeKey, "not-the-secret");
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrong.GetObjectAsync("photos", "hello.txt"));
        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);

        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            wrong.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "intruder.txt", ContentBody = "x" }));
        Assert.Equal("SignatureDoesNotMatch", put.ErrorCode);
        Assert.Null(await server.Storage.FindObjectAsync(new("acme", "photos"), "intruder.txt", CancellationToken.None));
    }

    [Fact]
    public async Task An_unknown_access_key_is_refused_with_invalid_access_key_id()
    {
        using var unknown = server.Client("AKIDNOBODY", "whatever");
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => unknown.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", error.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task Unsigned_requests_are_denied()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(server.Endpoint.TcpAddress, "photos/hello.txt"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_limited_to_some_buckets_is_denied_the_others()
    {
        using var limited = server.Client(BucketTestServer.LimitedKey, BucketTestServer.LimitedSecret);
        using (var allowed = await limited.GetObjectAsync("photos", "hello.txt"))
        {
            Assert.Equal("hello", await new StreamReader(allowed.ResponseStream).ReadToEndAsync());
        }

        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            limited.PutObjectAsync(new PutObjectRequest { BucketName = "docs", Key = "x", ContentBody = "x" }));
        Assert.Equal("AccessDenied", put.ErrorCode);
        var list = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => limited.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "docs" }));
        Assert.Equal("AccessDenied", list.ErrorCode);
    }

    [Fact]
    public async Task Another_tenants_bucket_is_out_of_reach_because_bucket_names_are_per_tenant()
    {
        using var other = server.Client(BucketTestServer.OtherKey, BucketTestServer.OtherSecret);
        await other.PutObjectAsync(new PutObjectRequest { BucketName = "vault", Key = "secret.txt", ContentBody = "classified" });

        // acme has no bucket called "vault": the name resolves in acme's namespace, never in other's.
        var read = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("vault", "secret.txt"));
        Assert.Equal("NoSuchBucket", read.ErrorCode);
        var otherReadsPhotos = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.GetObjectAsync("photos", "hello.txt"));
        Assert.Equal("NoSuchBucket", otherReadsPhotos.ErrorCode);
        Assert.Equal(["vault"], (await other.ListBucketsAsync()).Buckets.Select(b => b.BucketName));
    }

    [Fact]
    public async Task Requests_signed_too_far_from_the_servers_clock_are_refused()
    {
        await using var skewed = await BucketTestServer.StartAsync(o => o with { Clock = new ShiftedClock(TimeSpan.FromHours(1)) });
        using var client = skewed.Client();
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => client.ListBucketsAsync());
        Assert.Equal("RequestTimeTooSkewed", error.ErrorCode);
    }

    [Fact]
    public async Task A_chunk_changed_in_transit_fails_its_chunk_signature_and_nothing_is_stored()
    {
        using var tampering = server.Client(configure: c => c.HttpClientFactory = new TamperingFactory());
        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            tampering.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "tampered.txt", ContentBody = "original content" }));

        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
        Assert.Null(await server.Storage.FindObjectAsync(new("acme", "photos"), "tampered.txt", CancellationToken.None));
    }

    [Fact]
    public async Task Presigned_get_and_put_urls_work_with_a_plain_http_client()
    {
        using var http = new HttpClient();
        var getUrl = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "photos", Key = "hello.txt", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        Assert.Equal("hello", await http.GetStringAsync(getUrl));

        var putUrl = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "photos", Key = "uploaded by url.txt", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var put = await http.PutAsync(putUrl, new StringContent("from a browser"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var got = await s3.GetObjectAsync("photos", "uploaded by url.txt");
        Assert.Equal("from a browser", await new StreamReader(got.ResponseStream).ReadToEndAsync());

        var tampered = await http.GetAsync(getUrl.Replace("hello.txt", "other.txt", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await tampered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_presigned_url_is_denied()
    {
        await using var later = await BucketTestServer.StartAsync(o => o with { Clock = new ShiftedClock(TimeSpan.FromMinutes(10)) });
        using var client = later.Client();
        var url = await client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "photos", Key = "anything", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });

        using var http = new HttpClient();
        var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", body, StringComparison.Ordinal);
        Assert.Contains("expired", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sdk_works_through_the_unix_socket()
    {
        using var viaSocket = server.Client(configure: c =>
        {
            c.ServiceURL = "http://localhost";
            c.HttpClientFactory = new RedirectingFactory(new UnixDomainSocketEndPoint(server.Endpoint.SocketPath));
        });

        await viaSocket.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "socket.txt", ContentBody = "through the socket" });
        using var got = await s3.GetObjectAsync("photos", "socket.txt");
        Assert.Equal("through the socket", await new StreamReader(got.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Virtual_hosted_style_requests_name_the_bucket_in_the_host()
    {
        var port = server.Endpoint.TcpAddress.Port;
        using var virtualHosted = server.Client(configure: c =>
        {
            c.ServiceURL = $"http://localhost:{port}";
            c.ForcePathStyle = false;
            // *.localhost need not resolve on every machine: connect to the endpoint whatever the host says.
            c.HttpClientFactory = new RedirectingFactory(new IPEndPoint(IPAddress.Loopback, port));
        });

        await virtualHosted.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "vhost/a.txt", ContentBody = "virtual" });
        using var got = await s3.GetObjectAsync("photos", "vhost/a.txt");
        Assert.Equal("virtual", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        var listed = await virtualHosted.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos", Prefix = "vhost/" });
        Assert.Equal(["vhost/a.txt"], listed.S3Objects.Select(o => o.Key));
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    /// <summary>Sends the SDK's requests to a fixed socket, whatever host the URL names.</summary>
    private sealed class RedirectingFactory(EndPoint target) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(target.AddressFamily, SocketType.Stream, target is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
                await socket.ConnectAsync(target, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
    }

    /// <summary>Flips one byte of the object data after the SDK has signed the request.</summary>
    private sealed class TamperingFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Tamperer { InnerHandler = new SocketsHttpHandler() });

        private sealed class Tamperer : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.Method == HttpMethod.Put && request.Content is { } content)
                {
                    var body = await content.ReadAsByteArrayAsync(cancellationToken);
                    var text = Encoding.ASCII.GetString(body);
                    var at = text.IndexOf("original", StringComparison.Ordinal);
                    Assert.True(at >= 0, "the SDK's body should carry the object bytes in the clear");
                    body[at] = (byte)'O';
                    var replaced = new ByteArrayContent(body);
                    foreach (var header in content.Headers)
                    {
                        replaced.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }

                    request.Content = replaced;
                }

                return await base.SendAsync(request, cancellationToken);
            }
        }
    }
}
