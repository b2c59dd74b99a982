using Ferry.Triggers.Async;
using Npgsql;

namespace Ferry.Triggers.Tests.Async;

/// <summary>Where one test keeps its async queue: a fresh, empty database that is removed after the test.</summary>
public abstract class QueueBackend : IAsyncDisposable
{
    public abstract Task CreateAsync();

    /// <summary>A new queue object on this test's database (a restart opens a second one on the same data).</summary>
    public abstract IAsyncEventQueue Open(TimeProvider time);

    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteQueueBackend : QueueBackend
{
    private readonly TestDatabase _database = new();

    public override Task CreateAsync() => Task.CompletedTask;

    public override IAsyncEventQueue Open(TimeProvider time) => _database.OpenQueue(time);

    public override ValueTask DisposeAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A database created for the test on the PostgreSQL server of <c>FERRY_TEST_POSTGRES</c>, dropped afterwards.</summary>
public sealed class PostgresQueueBackend : QueueBackend
{
    public const string AdminVariable = "FERRY_TEST_POSTGRES";
    public const string DefaultAdmin = "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    private readonly string _admin = new NpgsqlConnectionStringBuilder(
        Environment.GetEnvironmentVariable(AdminVariable) is { Length: > 0 } admin ? admin : DefaultAdmin) { Pooling = false }.ConnectionString;

    private readonly string _name = "ferry_test_" + Guid.NewGuid().ToString("N");
    private bool _created;

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { Database = _name, Pooling = true }.ConnectionString;

    public override async Task CreateAsync()
    {
        // Identifiers cannot be parameters; the name is ours (letters, digits, underscores).
        await ExecuteAdminAsync($"CREATE DATABASE \"{_name}\";");
        _created = true;
    }

    public override IAsyncEventQueue Open(TimeProvider time) => new PostgresAsyncEventQueue(ConnectionString, time);

    public override async ValueTask DisposeAsync()
    {
        if (_created)
        {
            await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE);");
        }
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
