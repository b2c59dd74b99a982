using Microsoft.Data.Sqlite;

namespace Ferry.Store.Tests;

public sealed class SchemaTests : StoreTestBase
{
    [Fact]
    public async Task Reopening_the_database_keeps_the_data_and_reapplies_nothing()
    {
        var (app, revision) = await DeployAsync(artifact: "persisted");
        await Store.AppendLogsAsync([Log(app.Id, revision.Id, "still here")], CancellationToken.None);
        await Store.DisposeAsync();

        await using var reopened = new SqliteFerryStore(DatabasePath, Clock);
        await reopened.InitializeAsync(CancellationToken.None);
        await reopened.InitializeAsync(CancellationToken.None);

        Assert.Equal(app, await reopened.GetAppStageAsync(app.Id, CancellationToken.None));
        Assert.Equal(["still here"], (await reopened.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None)).Select(l => l.Message));
        Assert.Equal(SqliteSchema.Migrations.Count, await ScalarAsync<long>("PRAGMA user_version;"));
        var (_, next) = await reopened.AddRevisionAsync("acme", "orders", "dev", "local", "next", "{}", CancellationToken.None);
        Assert.Equal(2, next.Number);
    }

    [Fact]
    public async Task The_database_uses_wal_and_enforces_foreign_keys()
    {
        Assert.Equal("wal", await ScalarAsync<string>("PRAGMA journal_mode;"));
        await Assert.ThrowsAsync<SqliteException>(
            () => Store.AppendLogsAsync([Log(appStageId: 12345, revisionId: 1, "orphan")], CancellationToken.None));
    }

    [Fact]
    public async Task A_schema_newer_than_this_build_is_refused()
    {
        await ScalarAsync<long>($"PRAGMA user_version = {SqliteSchema.Migrations.Count + 1}; SELECT 0;");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.InitializeAsync(CancellationToken.None));

        Assert.Contains($"schema version {SqliteSchema.Migrations.Count + 1}", error.Message);
    }

    [Fact]
    public void The_parent_folder_is_created()
    {
        Assert.True(File.Exists(DatabasePath));
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
