using Ferry.Server;
using Ferry.Store;
using Ferry.Triggers.Async;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// A real Ferry server (REST API, gateway, Runtime API, bubblewrap sandbox, SQLite) on a free loopback port, with its
/// own data folder. Stopping and starting again on the same folder is how restart behaviour is tested.
/// With <c>FERRY_TEST_STORE=postgres</c> its store is a PostgreSQL database of its own instead (created through
/// <c>FERRY_TEST_POSTGRES</c>, kept across restarts, dropped on dispose), so the whole suite runs on either store.
/// </summary>
public sealed class FerryTestServer : IAsyncDisposable
{
    public const string StoreVariable = "FERRY_TEST_STORE";

    private FerryServerApp? _app;
    private readonly ScratchPostgresDatabase? _database;

    private FerryTestServer(string dataDirectory, Func<FerryServerOptions, FerryServerOptions>? configure, ScratchPostgresDatabase? database)
    {
        DataDirectory = dataDirectory;
        Configure = configure;
        _database = database;
    }

    /// <summary>True when the servers of this run keep their store on PostgreSQL.</summary>
    public static bool UsesPostgres =>
        string.Equals(Environment.GetEnvironmentVariable(StoreVariable), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>--store</c> setting the server runs with: null for SQLite in the data folder.</summary>
    public string? Store => _database?.ConnectionString;

    public string DataDirectory { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>The bootstrap admin token the server wrote to its data folder on first start.</summary>
    public string AdminToken { get; private set; } = "";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> AdminTokens = new();

    /// <summary>The admin token of the test server at <paramref name="baseUrl"/> (what the CLI helper sends by default).</summary>
    internal static string? AdminTokenFor(string baseUrl) => AdminTokens.TryGetValue(baseUrl, out var token) ? token : null;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    private Func<FerryServerOptions, FerryServerOptions>? Configure { get; }

    internal IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("not started");

    public static async Task<FerryTestServer> StartAsync(Func<FerryServerOptions, FerryServerOptions>? configure = null, string? dataDirectory = null)
    {
        var database = UsesPostgres ? await ScratchPostgresDatabase.CreateAsync() : null;
        var server = new FerryTestServer(dataDirectory ?? TempDirectory.Create("ferry-data"), configure, database);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async Task StartAsync()
    {
        // A restart comes back on the same port, as a real server would, so clients keep their URLs.
        var url = BaseUrl.Length > 0 ? BaseUrl : "http://127.0.0.1:0";
        var options = new FerryServerOptions { DataDirectory = DataDirectory, Urls = [url], Store = Store };
        options = Configure?.Invoke(options) ?? options;
        _app = await FerryServerHost.BuildAsync(options, CancellationToken.None)
               ?? throw new InvalidOperationException("The server refused to start (is bubblewrap installed? run scripts/setup.sh)");
        await _app.StartAsync(CancellationToken.None);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/');
        Http.BaseAddress ??= new Uri(BaseUrl);
        AdminToken = (await File.ReadAllTextAsync(Path.Combine(DataDirectory, "admin-token"))).Trim();
        AdminTokens[BaseUrl] = AdminToken;
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>A second queue object on the server's store (what another server, or one that died, would use).</summary>
    public IAsyncEventQueue OpenAsyncEventQueue()
    {
        var location = StoreLocation.Resolve(Store, DataDirectory);
        return location.Postgres is { } postgres
            ? new PostgresAsyncEventQueue(postgres.ConnectionString, TimeProvider.System)
            : new AsyncEventQueue(location.SqlitePath!, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>
/// A PostgreSQL database of its own, created through the admin connection in <c>FERRY_TEST_POSTGRES</c> (default: the
/// local test server set up by scripts/setup.sh) and dropped, with any connection still open, on dispose.
/// </summary>
internal sealed class ScratchPostgresDatabase : IAsyncDisposable
{
    public const string AdminVariable = "FERRY_TEST_POSTGRES";
    public const string DefaultAdmin = "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    private readonly string _admin;
    private readonly string _name;

    private ScratchPostgresDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ScratchPostgresDatabase> CreateAsync()
    {
        var admin = new Npgsql.NpgsqlConnectionStringBuilder(
            Environment.GetEnvironmentVariable(AdminVariable) is { Length: > 0 } setting ? setting : DefaultAdmin) { Pooling = false };
        var database = new ScratchPostgresDatabase(admin.ConnectionString, "ferry_test_" + Guid.NewGuid().ToString("N"));
        // Identifiers cannot be parameters; the name is ours (letters, digits, underscores).
        await database.ExecuteAdminAsync($"CREATE DATABASE \"{database._name}\";");
        return database;
    }

    public async ValueTask DisposeAsync() => await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE);");

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
