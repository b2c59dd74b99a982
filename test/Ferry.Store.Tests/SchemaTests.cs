using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using Ferry.Store.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ferry.Store.Tests;

public abstract class SchemaTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    [Fact]
    public async Task Reopening_the_database_keeps_the_data_and_reapplies_nothing()
    {
        var (app, _) = await DeployAsync(artifact: "persisted");
        await Store.AppendLogsAsync([Log(app.Id, app.ActiveRevisionId!.Value, "still here")], CancellationToken.None);
        await Store.DisposeAsync();

        await using var reopened = Backend.Open(Clock);
        await reopened.InitializeAsync(CancellationToken.None);
        await reopened.InitializeAsync(CancellationToken.None);

        Assert.Equal(app, await reopened.GetAppStageAsync(app.Id, CancellationToken.None));
        Assert.Equal(["still here"], (await reopened.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None)).Select(l => l.Message));
        Assert.Equal(MigrationCount, await SchemaVersionAsync());
        var (_, next) = await reopened.AddRevisionAsync("acme", "orders", "dev", "local", "next", "{}", CancellationToken.None);
        Assert.Equal(2, next.Number);
    }

    [Fact]
    public async Task Foreign_keys_are_enforced_and_a_failing_batch_stores_nothing()
    {
        var (app, revision) = await DeployAsync();

        await Assert.ThrowsAnyAsync<DbException>(
            () => Store.AppendLogsAsync([Log(app.Id, revision.Id, "fine"), Log(appStageId: 12345, revisionId: 1, "orphan")], CancellationToken.None));
        await Assert.ThrowsAnyAsync<DbException>(
            () => Store.RecordInvocationsAsync([Invocation(app.Id, revision.Id, "r1", 0), Invocation(12345, 1, "r2", 0)], CancellationToken.None));

        Assert.Empty(await Store.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None));
        Assert.Empty(await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_with_a_row_the_schema_refuses_stores_none_of_its_rows()
    {
        var (app, revision) = await DeployAsync();

        await Assert.ThrowsAnyAsync<DbException>(
            () => Store.AppendLogsAsync([Log(app.Id, revision.Id, "fine"), Log(app.Id, revision.Id, "no function", function: null!)], CancellationToken.None));
        await Assert.ThrowsAnyAsync<DbException>(
            () => Store.RecordInvocationsAsync([Invocation(app.Id, revision.Id, "r1", 0), Invocation(app.Id, revision.Id, "r2", 0, function: null!)], CancellationToken.None));

        Assert.Empty(await Store.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None));
        Assert.Empty(await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 10, CancellationToken.None));

        // The failed statement and transaction were cleaned up: the next batch is stored.
        await Store.RecordInvocationsAsync([Invocation(app.Id, revision.Id, "r3", 0)], CancellationToken.None);
        Assert.Equal(["r3"], (await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 10, CancellationToken.None)).Select(i => i.RequestId));
    }

    [Fact]
    public async Task A_schema_newer_than_this_build_is_refused()
    {
        await SetSchemaVersionAsync(MigrationCount + 1);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.InitializeAsync(CancellationToken.None));

        Assert.Contains($"schema version {MigrationCount + 1}", error.Message);
    }

    protected abstract int MigrationCount { get; }

    protected abstract Task<long> SchemaVersionAsync();

    protected abstract Task SetSchemaVersionAsync(int version);
}

public sealed class SqliteSchemaTests : SchemaTests<SqliteBackend>
{
    protected override int MigrationCount => SqliteSchema.Migrations.Count;

    [Fact]
    public async Task The_database_uses_wal()
    {
        Assert.Equal("wal", await ScalarAsync<string>("PRAGMA journal_mode;"));
    }

    [Fact]
    public void The_parent_folder_is_created()
    {
        Assert.True(File.Exists(Backend.DatabasePath));
    }

    [Fact]
    public async Task A_database_of_the_previous_schema_opens_and_keeps_usage_of_apps_removed_afterwards()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(Backend.DatabasePath);
        // The schema as the last release shipped it (5 migrations), with an app that was used.
        const int shipped = 5;
        await ScalarAsync<long>(string.Concat(SqliteSchema.Migrations.Take(shipped)) + $"""
            PRAGMA user_version = {shipped};
            INSERT INTO app_stages (id, tenant, service, stage, region, created_at, updated_at) VALUES (1, 'acme', 'orders', 'dev', 'local', 0, 0);
            INSERT INTO invocations (request_id, tenant, app_stage_id, revision_id, function, started_at, duration_ms, billed_duration_ms,
                memory_size_mb, status, cold_start) VALUES ('r1', 'acme', 1, 1, 'create', {T0.ToUnixTimeMilliseconds()}, 12.5, 13, 128, 'Success', 1);
            SELECT 0;
            """);

        await using var store = Backend.Open(Clock);
        await store.InitializeAsync(CancellationToken.None);
        Assert.True(await store.DeleteAppStageAsync(1, CancellationToken.None));

        Assert.Equal(SqliteSchema.Migrations.Count, await SchemaVersionAsync());
        var usage = Assert.Single(await store.QueryUsageAsync("acme", T0, T0.AddDays(1), CancellationToken.None));
        Assert.Equal(new FunctionUsage("acme", 1, "orders", "dev", "local", "create", 1, 13, 13 * 128), usage);
    }

    protected override Task<long> SchemaVersionAsync() => ScalarAsync<long>("PRAGMA user_version;");

    protected override Task SetSchemaVersionAsync(int version) => ScalarAsync<long>($"PRAGMA user_version = {version}; SELECT 0;");

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Backend.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

public sealed class PostgresSchemaTests : SchemaTests<PostgresBackend>
{
    protected override int MigrationCount => PostgresSchema.Migrations.Count;

    [Fact]
    public async Task Text_sorts_in_byte_order_whatever_the_database_locale()
    {
        foreach (var service in new[] { "b", "B", "a-b", "a_b", "ä", "A" })
        {
            await DeployAsync(service: service);
        }

        var services = (await Store.ListAppStagesAsync("acme", CancellationToken.None)).Select(a => a.Service);

        Assert.Equal(["A", "B", "a-b", "a_b", "b", "ä"], services);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_clear_error_that_names_the_address_but_not_the_password()
    {
        var port = FreeLoopbackPort();
        await using var store = new PostgresFerryStore(PostgresAddress.Parse($"postgres://ferry:s3cret-pw@127.0.0.1:{port}/ferry"));

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.StartsWith($"cannot connect to the store at 127.0.0.1:{port}: ", error.Message);
        Assert.DoesNotContain("s3cret-pw", error.ToString());
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_without_the_password()
    {
        var admin = new NpgsqlConnectionStringBuilder(Backend.Database.ConnectionString) { Password = "not-the-password" };
        await using var store = new PostgresFerryStore(PostgresAddress.Parse(admin.ConnectionString));

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.StartsWith($"cannot connect to the store at {admin.Host}:{admin.Port}: ", error.Message);
        Assert.DoesNotContain("not-the-password", error.ToString());
    }

    [Fact]
    public async Task Servers_starting_together_migrate_once()
    {
        await using var fresh = await ScratchPostgresDatabase.CreateAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresFerryStore(PostgresAddress.Parse(fresh.ConnectionString), Clock)).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync(CancellationToken.None))));
            Assert.Empty(await stores[0].ListAppStagesAsync(null, CancellationToken.None));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    protected override async Task<long> SchemaVersionAsync() => (int)(await ScalarAsync("SELECT version FROM ferry_schema;"))!;

    protected override Task SetSchemaVersionAsync(int version) => ScalarAsync($"UPDATE ferry_schema SET version = {version};");

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Backend.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
