using System.Text.Json;
using Ferry.Resources.Buckets;
using Ferry.Resources.Queues;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Resources.Tests.Queues;

/// <summary>
/// The bucket endpoint with SQS over a queue store in a temporary folder. Keys: "acme" tenant-wide, a function key of
/// the app stage acme/shop/dev/local, a function key of acme/blog/dev/local, and the tenant "other".
/// </summary>
public sealed class SqsTestServer : IAsyncDisposable
{
    public const string AcmeKey = "AKIDSQSACME";
    public const string AcmeSecret = "acme-secret-0123456789";
    public const string ShopKey = "AKIDSQSSHOP";
    public const string ShopSecret = "shop-secret-0123456789";
    public const string BlogKey = "AKIDSQSBLOG";
    public const string BlogSecret = "blog-secret-0123456789";
    public const string OtherKey = "AKIDSQSOTHER";
    public const string OtherSecret = "other-secret-0123456789";
    public const string ShopStage = "acme/shop/dev/local";

    private static readonly string ClientDirectory = SdkClient.Folder("sqs-client");

    private readonly string _directory;

    private SqsTestServer(string directory, QueueStore store, BucketEndpoint endpoint)
    {
        _directory = directory;
        Store = store;
        Endpoint = endpoint;
    }

    public QueueStore Store { get; }

    public BucketEndpoint Endpoint { get; }

    public string Url => Endpoint.TcpAddress.ToString().TrimEnd('/');

    public static async Task<SqsTestServer> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ferry-sqs-").FullName;
        var store = new QueueStore(Path.Combine(directory, "queues.db"), TimeProvider.System);
        var credentials = new Keys(new Dictionary<string, BucketPrincipal>
        {
            [AcmeKey] = new("acme", AcmeSecret, null),
            [ShopKey] = new("acme", ShopSecret, new HashSet<string>(), ShopStage),
            [BlogKey] = new("acme", BlogSecret, new HashSet<string>(), "acme/blog/dev/local"),
            [OtherKey] = new("other", OtherSecret, null),
        });
        var options = new BucketEndpointOptions { TcpUrl = "http://127.0.0.1:0", UnixSocketPath = Path.Combine(directory, "s3.sock") };
        var endpoint = await BucketEndpoint.StartAsync(options, new BucketStorage(Path.Combine(directory, "buckets")), credentials, new NoEvents(),
            NullLoggerFactory.Instance, CancellationToken.None, store);
        return new SqsTestServer(directory, store, endpoint);
    }

    /// <summary>Runs a client script of sqs-client/ with the endpoint and a key; returns its one JSON line.</summary>
    public async Task<JsonElement> RunClientAsync(string program, string script, string queue, string key = AcmeKey, string secret = AcmeSecret)
    {
        if (program == "node")
        {
            await SdkClient.EnsureInstalledAsync(ClientDirectory, "@aws-sdk/client-sqs");
        }

        return await SdkClient.RunScriptAsync(program == "node" ? SdkClient.Node : "/usr/bin/python3", script, ClientDirectory,
            new { endpoint = Url, accessKeyId = key, secretAccessKey = secret, queue });
    }

    public async ValueTask DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class Keys(IReadOnlyDictionary<string, BucketPrincipal> keys) : IBucketCredentials
    {
        public ValueTask<BucketPrincipal?> FindAsync(string accessKeyId, CancellationToken cancellationToken) => ValueTask.FromResult(keys.GetValueOrDefault(accessKeyId));
    }

    private sealed class NoEvents : IBucketEventSink
    {
        public ValueTask PublishAsync(BucketNotification notification, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
