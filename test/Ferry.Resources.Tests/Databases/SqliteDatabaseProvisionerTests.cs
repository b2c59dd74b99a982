using Ferry.Resources.Databases;
using Microsoft.Data.Sqlite;

namespace Ferry.Resources.Tests.Databases;

public sealed class SqliteDatabaseProvisionerTests : IDisposable
{
    private readonly string _root = Path.Combine(Directory.CreateTempSubdirectory("ferry-sqlite-").FullName, "databases");
    private readonly SqliteDatabaseProvisioner _provisioner;

    public SqliteDatabaseProvisionerTests() => _provisioner = new SqliteDatabaseProvisioner(_root);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    [Fact]
    public async Task Ensure_creates_a_private_folder_an_empty_database_and_the_binding()
    {
        var request = new DatabaseRequest("acme", "shop", "dev", "eu-1", "orders-db");

        var binding = await _provisioner.EnsureAsync(request, CancellationToken.None);

        var folder = Path.Combine(_root, "acme", "shop", "dev@eu-1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.True(File.Exists(Path.Combine(folder, "orders-db.sqlite")));
        Assert.Equal(Path.Combine(folder, "orders-db.sqlite"), _provisioner.HostFilePath(request));
        Assert.Equal("sqlite", binding.Engine);
        Assert.Equal(new DatabaseMount(folder, "/var/ferry/databases"), binding.Mount);
        Assert.Null(binding.Service);
        Assert.Empty(binding.SecretEnvironmentKeys);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["FERRY_DATABASE_ORDERS_DB_URL"] = "sqlite:///var/ferry/databases/orders-db.sqlite",
                ["FERRY_DATABASE_ORDERS_DB_PATH"] = "/var/ferry/databases/orders-db.sqlite",
            },
            binding.Environment.ToDictionary());
        Assert.Equal(binding, await _provisioner.EnsureAsync(request, CancellationToken.None));
    }

    [Fact]
    public async Task Data_written_at_the_host_path_survives_a_second_ensure_and_drop_removes_every_file()
    {
        var request = new DatabaseRequest("acme", "shop", "dev", "local", "main");
        await _provisioner.EnsureAsync(request, CancellationToken.None);
        var file = _provisioner.HostFilePath(request);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString();

        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await Execute(connection, "PRAGMA journal_mode=WAL; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')");
            Assert.True(File.Exists(file + "-wal"));

            await _provisioner.EnsureAsync(request, CancellationToken.None);
            await using var read = new SqliteCommand("SELECT body FROM notes", connection);
            Assert.Equal("kept", await read.ExecuteScalarAsync());
        }

        // A stray rollback journal from a crash must go too.
        await File.WriteAllTextAsync(file + "-journal", "");

        Assert.True(await _provisioner.DropAsync(request, CancellationToken.None));

        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            Assert.False(File.Exists(file + suffix), $"{file}{suffix} is still there");
        }

        Assert.False(Directory.Exists(Path.GetDirectoryName(file)));
        Assert.False(await _provisioner.DropAsync(request, CancellationToken.None));
    }

    [Fact]
    public async Task Drop_keeps_the_other_databases_of_the_app_stage()
    {
        var first = new DatabaseRequest("acme", "shop", "dev", "local", "first");
        var second = first with { Name = "second" };
        await _provisioner.EnsureAsync(first, CancellationToken.None);
        await _provisioner.EnsureAsync(second, CancellationToken.None);

        Assert.True(await _provisioner.DropAsync(first, CancellationToken.None));

        Assert.True(File.Exists(_provisioner.HostFilePath(second)));
    }

    [Fact]
    public async Task Stage_and_region_with_dashes_do_not_share_a_folder()
    {
        var one = await _provisioner.EnsureAsync(new DatabaseRequest("acme", "shop", "a-b", "c", "main"), CancellationToken.None);
        var other = await _provisioner.EnsureAsync(new DatabaseRequest("acme", "shop", "a", "b-c", "main"), CancellationToken.None);

        Assert.NotEqual(one.Mount!.HostPath, other.Mount!.HostPath);
    }

    [Theory]
    [InlineData("..", "shop", "dev", "local", "main", "Tenant")]
    [InlineData("acme", "../etc", "dev", "local", "main", "Service")]
    [InlineData("acme", "shop", "dev/../../x", "local", "main", "Stage")]
    [InlineData("acme", "shop", "dev", ".hidden", "main", "Region")]
    [InlineData("acme", "shop", "dev", "local", "../main", "Name")]
    [InlineData("acme", "shop", "dev", "local", "Main", "Name")]
    [InlineData("acme", "shop", "dev", "local", "main.sqlite", "Name")]
    [InlineData("acme", "shop", "dev", "local", "", "Name")]
    [InlineData("acme", "shop", "dev", "local", "a12345678901234567890123456789012345678901", "Name")]
    [InlineData("ac me", "shop", "dev", "local", "main", "Tenant")]
    [InlineData("acme", "shop", "dev\0", "local", "main", "Stage")]
    public async Task Traversal_and_invalid_names_are_rejected_before_touching_the_disk(
        string tenant, string service, string stage, string region, string name, string field)
    {
        var request = new DatabaseRequest(tenant, service, stage, region, name);

        var ensure = await Assert.ThrowsAsync<ArgumentException>(() => _provisioner.EnsureAsync(request, CancellationToken.None));
        var drop = await Assert.ThrowsAsync<ArgumentException>(() => _provisioner.DropAsync(request, CancellationToken.None));

        Assert.Equal(field, ensure.ParamName);
        Assert.Equal(field, drop.ParamName);
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public async Task A_symlink_planted_under_a_database_name_is_refused_and_its_target_left_alone()
    {
        var request = new DatabaseRequest("acme", "shop", "dev", "local", "main");
        var folder = (await _provisioner.EnsureAsync(request, CancellationToken.None)).Mount!.HostPath;
        var outside = Path.Combine(Path.GetDirectoryName(_root)!, "outside.txt");
        File.CreateSymbolicLink(Path.Combine(folder, "planted.sqlite"), outside);

        var failure = await Assert.ThrowsAsync<DatabaseProvisioningException>(
            () => _provisioner.EnsureAsync(request with { Name = "planted" }, CancellationToken.None));

        Assert.Contains("symbolic link", failure.Message);
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public void A_relative_root_is_rejected()
    {
        var failure = Assert.Throws<ArgumentException>(() => new SqliteDatabaseProvisioner("data/databases"));
        Assert.Contains("absolute", failure.Message);
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
