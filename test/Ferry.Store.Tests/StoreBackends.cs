using Ferry.Store.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ferry.Store.Tests;

/// <summary>Where one test keeps its store: a fresh, empty database that is removed after the test.</summary>
public abstract class StoreBackend : IAsyncDisposable
{
    public abstract Task CreateAsync();

    /// <summary>A new store object on this test's database (a restart opens a second one on the same data).</summary>
    public abstract IControlPlaneStore Open(TimeProvider clock);

    /// <summary>A new store object that encrypts its secret columns with <paramref name="secrets"/>.</summary>
    public abstract IControlPlaneStore Open(TimeProvider clock, IStoredSecretProtector secrets);

    /// <summary>The first column of the first row of <paramref name="sql"/>, read past the store (what a copy of the database shows).</summary>
    public abstract Task<string> ReadRawAsync(string sql);

    public abstract ValueTask DisposeAsync();
}

/// <summary>A SQLite file in its own temp directory (in a subfolder the store has to create).</summary>
public sealed class SqliteBackend : StoreBackend
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ferry-store-tests-").FullName;

    public string DatabasePath => Path.Combine(_directory, "state", "ferry.db");

    public override Task CreateAsync() => Task.CompletedTask;

    public override IControlPlaneStore Open(TimeProvider clock) => new SqliteFerryStore(DatabasePath, clock);

    public override IControlPlaneStore Open(TimeProvider clock, IStoredSecretProtector secrets) => new SqliteFerryStore(DatabasePath, clock, secrets);

    public override async Task<string> ReadRawAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A database created for the test on the PostgreSQL server of <c>FERRY_TEST_POSTGRES</c>, dropped afterwards.</summary>
public sealed class PostgresBackend : StoreBackend
{
    private ScratchPostgresDatabase? _database;

    public ScratchPostgresDatabase Database => _database ?? throw new InvalidOperationException("The database is not created yet.");

    public PostgresAddress Address => PostgresAddress.Parse(Database.ConnectionString);

    public override async Task CreateAsync() => _database = await ScratchPostgresDatabase.CreateAsync();

    public override IControlPlaneStore Open(TimeProvider clock) => new PostgresFerryStore(Address, clock);

    public override IControlPlaneStore Open(TimeProvider clock, IStoredSecretProtector secrets) => new PostgresFerryStore(Address, clock, secrets);

    public override async Task<string> ReadRawAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public override async ValueTask DisposeAsync()
    {
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
public sealed class ScratchPostgresDatabase : IAsyncDisposable
{
    public const string AdminVariable = "FERRY_TEST_POSTGRES";
    public const string DefaultAdmin = "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    private readonly string _admin;

    private ScratchPostgresDatabase(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(AdminVariable) is { Length: > 0 } admin ? admin : DefaultAdmin;

    public static async Task<ScratchPostgresDatabase> CreateAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString;
        var database = new ScratchPostgresDatabase(admin, "ferry_test_" + Guid.NewGuid().ToString("N"));
        // Identifiers cannot be parameters; the name is ours (letters, digits, underscores).
        await database.ExecuteAdminAsync($"CREATE DATABASE \"{database.Name}\";");
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE);");
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
