using System.Security.Cryptography;
using Ferry.Resources.Databases;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Ferry.Resources.Tests.Databases;

/// <summary>
/// The real PostgreSQL server the tests provision on (env FERRY_TEST_POSTGRES, a superuser), plus a per-test scope
/// with a random tenant whose databases are dropped at the end.
/// </summary>
internal static class PostgresTestServer
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES") is { Length: > 0 } value ? value : DefaultConnectionString;

    public static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    public static PostgresDatabaseProvisioner CreateProvisioner(string socketDirectory, string? adminConnectionString = null, byte[]? key = null) =>
        new(
            new PostgresDatabaseOptions
            {
                AdminConnectionString = adminConnectionString ?? AdminConnectionString,
                PasswordKey = key ?? RandomNumberGenerator.GetBytes(32),
                RelaySocketPath = Path.Combine(socketDirectory, ".s.PGSQL.5432"),
            },
            NullLogger<PostgresDatabaseProvisioner>.Instance);

    /// <summary>How a function on the host network would connect, with the binding's values.</summary>
    public static string AppConnectionString(DatabaseBinding binding)
    {
        var admin = new NpgsqlConnectionStringBuilder(AdminConnectionString);
        return new NpgsqlConnectionStringBuilder
        {
            Host = admin.Host,
            Port = admin.Port,
            Database = binding.Environment[DatabaseEnvironment.DatabaseName(binding.Name)],
            Username = binding.Environment[DatabaseEnvironment.User(binding.Name)],
            Password = binding.Environment[DatabaseEnvironment.Password(binding.Name)],
            Pooling = false,
        }.ConnectionString;
    }

    public static async Task<object?> AdminScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }

    public static async Task<bool> DatabaseExistsAsync(string database) =>
        (bool)(await AdminScalarAsync("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database))!;

    public static async Task<bool> RoleExistsAsync(string role) =>
        (bool)(await AdminScalarAsync("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role))!;
}

/// <summary>A provisioner with its own relay folder and a random tenant; drops whatever the test ensured.</summary>
internal sealed class PostgresTestScope : IAsyncDisposable
{
    private readonly List<DatabaseRequest> _ensured = [];

    public PostgresTestScope(string? adminConnectionString = null)
    {
        SocketDirectory = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        Tenant = "t" + PostgresTestServer.RandomSuffix();
        Provisioner = PostgresTestServer.CreateProvisioner(SocketDirectory, adminConnectionString, Key);
    }

    /// <summary>The server key the scope's provisioners derive names and passwords from.</summary>
    public byte[] Key { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public string SocketDirectory { get; }

    public string Tenant { get; }

    public PostgresDatabaseProvisioner Provisioner { get; }

    public DatabaseRequest Request(string service = "shop", string stage = "dev", string region = "local", string name = "main", string? tenant = null)
    {
        var request = new DatabaseRequest(tenant ?? Tenant, service, stage, region, name);
        lock (_ensured)
        {
            _ensured.Add(request);
        }

        return request;
    }

    public Task<DatabaseBinding> EnsureAsync(DatabaseRequest request) => Provisioner.EnsureAsync(request, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var cleaner = PostgresTestServer.CreateProvisioner(SocketDirectory, key: Key);
            foreach (var request in _ensured.Distinct())
            {
                await cleaner.DropAsync(request, CancellationToken.None);
            }
        }
        finally
        {
            await Provisioner.DisposeAsync();
            Directory.Delete(SocketDirectory, recursive: true);
        }
    }
}
