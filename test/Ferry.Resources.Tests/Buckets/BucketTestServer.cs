using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.S3;
using Ferry.Resources.Buckets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>
/// A bucket endpoint on loopback over a temporary folder, with two tenants: "acme" (buckets photos and docs; a full
/// key and a key limited to photos) and "other" (bucket vault).
/// </summary>
public sealed class BucketTestServer : IAsyncDisposable
{
    public const string AcmeKey = "AKIDACME";
    public const string AcmeSecret = "acme-secret-0123456789";
    public const string LimitedKey = "AKIDLIMITED";
    public const string LimitedSecret = "limited-secret-0123456789";
    public const string OtherKey = "AKIDOTHER";
    public const string OtherSecret = "other-secret-0123456789";

    private BucketTestServer(string directory, BucketStorage storage, BucketEndpoint endpoint, RecordingSink events)
    {
        Directory = directory;
        Storage = storage;
        Endpoint = endpoint;
        Events = events;
    }

    /// <summary>Holds the bucket root (<c>data/</c>) and nothing else, so writes outside the root can be detected.</summary>
    public string Directory { get; }

    public string Root => Path.Combine(Directory, "data");

    public BucketStorage Storage { get; }

    public BucketEndpoint Endpoint { get; }

    public RecordingSink Events { get; }

    public static async Task<BucketTestServer> StartAsync(Func<BucketEndpointOptions, BucketEndpointOptions>? configure = null, IBucketEventSink? sink = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("ferry-buckets-").FullName;
        var storage = new BucketStorage(Path.Combine(directory, "data"));
        foreach (var bucket in new[] { new BucketAddress("acme", "photos"), new BucketAddress("acme", "docs"), new BucketAddress("other", "vault") })
        {
            await storage.CreateBucketAsync(bucket, CancellationToken.None);
        }

        var credentials = new StaticCredentials(new Dictionary<string, BucketPrincipal>
        {
            [AcmeKey] = new("acme", AcmeSecret, null),
            [LimitedKey] = new("acme", LimitedSecret, new HashSet<string> { "photos" }),
            [OtherKey] = new("other", OtherSecret, null),
        });
        var options = new BucketEndpointOptions
        {
            TcpUrl = "http://127.0.0.1:0",
            UnixSocketPath = Path.Combine(directory, "s3.sock"),
            MinPartBytes = 5 * 1024 * 1024,
        };
        options = configure?.Invoke(options) ?? options;
        var events = new RecordingSink();
        var endpoint = await BucketEndpoint.StartAsync(options, storage, credentials, sink ?? events, NullLoggerFactory.Instance, CancellationToken.None);
        return new BucketTestServer(directory, storage, endpoint, events);
    }

    public AmazonS3Client Client(string accessKey = AcmeKey, string secret = AcmeSecret, Action<AmazonS3Config>? configure = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Endpoint.TcpAddress.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        };
        configure?.Invoke(config);
        return new AmazonS3Client(new BasicAWSCredentials(accessKey, secret), config);
    }

    public async ValueTask DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private sealed class StaticCredentials(IReadOnlyDictionary<string, BucketPrincipal> keys) : IBucketCredentials
    {
        public ValueTask<BucketPrincipal?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
            => ValueTask.FromResult(keys.GetValueOrDefault(accessKeyId));
    }
}

public sealed class RecordingSink : IBucketEventSink
{
    private readonly ConcurrentQueue<BucketNotification> received = new();

    public IReadOnlyList<BucketNotification> Received => [.. received];

    public ValueTask PublishAsync(BucketNotification notification, CancellationToken cancellationToken)
    {
        received.Enqueue(notification);
        return ValueTask.CompletedTask;
    }
}
