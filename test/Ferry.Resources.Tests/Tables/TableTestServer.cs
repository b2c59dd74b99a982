using Ferry.Resources.Buckets;
using Ferry.Resources.Tables;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Resources.Tests.Tables;

/// <summary>
/// The bucket endpoint with tables on loopback over a temporary folder, with three keys: two app stages of tenant
/// "acme" (shop/dev and shop/prod) and one of tenant "other", plus a people's key of acme that reaches no tables.
/// </summary>
public sealed class TableTestServer : IAsyncDisposable
{
    public const string DevKey = "AKIDSHOPDEV";
    public const string DevSecret = "shop-dev-secret-0123456789";
    public const string ProdKey = "AKIDSHOPPROD";
    public const string ProdSecret = "shop-prod-secret-0123456789";
    public const string OtherKey = "AKIDOTHERTENANT";
    public const string OtherSecret = "other-secret-0123456789";
    public const string PersonKey = "AKIDPERSON";
    public const string PersonSecret = "person-secret-0123456789";

    public static readonly TableScope Dev = new("acme", "shop", "dev", "us-east-1");
    public static readonly TableScope Prod = new("acme", "shop", "prod", "us-east-1");
    public static readonly TableScope Other = new("other", "shop", "dev", "us-east-1");

    private TableTestServer(string directory, TableStore store, BucketEndpoint endpoint)
    {
        Directory = directory;
        Store = store;
        Endpoint = endpoint;
    }

    public string Directory { get; }

    public TableStore Store { get; }

    public BucketEndpoint Endpoint { get; }

    public string Url => Endpoint.TcpAddress.ToString().TrimEnd('/');

    public static async Task<TableTestServer> StartAsync(Func<string, S3Exception?>? writeAdmission = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("ferry-tables-").FullName;
        var store = new TableStore(Path.Combine(directory, "tables"));
        var credentials = new StaticCredentials(new Dictionary<string, BucketPrincipal>
        {
            [DevKey] = new("acme", DevSecret, new HashSet<string>()) { Tables = Dev },
            [ProdKey] = new("acme", ProdSecret, new HashSet<string>()) { Tables = Prod },
            [OtherKey] = new("other", OtherSecret, new HashSet<string>()) { Tables = Other },
            [PersonKey] = new("acme", PersonSecret, null),
        });
        var options = new BucketEndpointOptions
        {
            TcpUrl = "http://127.0.0.1:0",
            UnixSocketPath = Path.Combine(directory, "s3.sock"),
            Tables = new TableApi(store, "us-east-1"),
            WriteAdmission = writeAdmission,
        };
        var endpoint = await BucketEndpoint.StartAsync(options, new BucketStorage(Path.Combine(directory, "buckets")), credentials,
            new Buckets.RecordingSink(), NullLoggerFactory.Instance, CancellationToken.None);
        return new TableTestServer(directory, store, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private sealed class StaticCredentials(IReadOnlyDictionary<string, BucketPrincipal> keys) : IBucketCredentials
    {
        public ValueTask<BucketPrincipal?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
            => ValueTask.FromResult(keys.GetValueOrDefault(accessKeyId));
    }
}
