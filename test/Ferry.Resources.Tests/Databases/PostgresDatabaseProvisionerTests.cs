using System.Diagnostics;
using Ferry.Resources.Databases;
using Npgsql;

namespace Ferry.Resources.Tests.Databases;

public sealed class PostgresDatabaseProvisionerTests
{
    [Fact]
    public async Task Ensure_twice_is_idempotent_and_returns_the_same_binding()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request();

        var first = await scope.EnsureAsync(request);
        var second = await scope.EnsureAsync(request);

        Assert.Equal(first, second);
        Assert.Equal("postgres", first.Engine);
        Assert.Null(first.Mount);
        Assert.Equal(new DatabaseServiceEndpoint("postgres", Path.Combine(scope.SocketDirectory, ".s.PGSQL.5432"), "127.0.0.1", 5432), first.Service);
        var names = scope.Provisioner.NamesFor(request);
        Assert.Equal(names.Database, first.Environment["FERRY_DATABASE_MAIN_NAME"]);
        Assert.Equal(names.Role, first.Environment["FERRY_DATABASE_MAIN_USER"]);
        Assert.Equal("${ferry:postgres:host}", first.Environment["FERRY_DATABASE_MAIN_HOST"]);
        Assert.Equal("${ferry:postgres:port}", first.Environment["FERRY_DATABASE_MAIN_PORT"]);
        var password = first.Environment["FERRY_DATABASE_MAIN_PASSWORD"];
        Assert.Equal(
            $"postgres://{names.Role}:{password}@${{ferry:postgres:host}}:${{ferry:postgres:port}}/{names.Database}",
            first.Environment["FERRY_DATABASE_MAIN_URL"]);
        Assert.Equal(new HashSet<string> { "FERRY_DATABASE_MAIN_PASSWORD", "FERRY_DATABASE_MAIN_URL" }, first.SecretEnvironmentKeys.ToHashSet());
        Assert.True(await PostgresTestServer.DatabaseExistsAsync(names.Database));
        Assert.Equal(
            names.Role,
            await PostgresTestServer.AdminScalarAsync(
                "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1", names.Database));
    }

    [Fact]
    public async Task The_app_role_connects_with_the_derived_password_and_owns_its_database()
    {
        await using var scope = new PostgresTestScope();
        var binding = await scope.EnsureAsync(scope.Request());

        await using var connection = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding));
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO orders VALUES (1, 'tea'), (2, 'cake')", connection))
        {
            Assert.Equal(2, await insert.ExecuteNonQueryAsync());
        }

        await using var select = new NpgsqlCommand("SELECT string_agg(item, ',' ORDER BY id) FROM orders", connection);
        Assert.Equal("tea,cake", await select.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Another_apps_role_cannot_connect_to_the_database()
    {
        await using var scope = new PostgresTestScope();
        var mine = await scope.EnsureAsync(scope.Request(service: "shop"));
        var theirs = await scope.EnsureAsync(scope.Request(service: "blog"));

        var intruder = new NpgsqlConnectionStringBuilder(PostgresTestServer.AppConnectionString(theirs))
        {
            Database = mine.Environment["FERRY_DATABASE_MAIN_NAME"],
        };
        await using var connection = new NpgsqlConnection(intruder.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.Contains("permission denied for database", refused.MessageText);
    }

    [Fact]
    public async Task Drop_removes_database_and_role_even_while_connected_and_a_second_drop_returns_false()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request();
        var binding = await scope.EnsureAsync(request);
        var names = scope.Provisioner.NamesFor(request);
        await using var open = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding));
        await open.OpenAsync();

        Assert.True(await scope.Provisioner.DropAsync(request, CancellationToken.None));

        Assert.False(await PostgresTestServer.DatabaseExistsAsync(names.Database));
        Assert.False(await PostgresTestServer.RoleExistsAsync(names.Role));
        Assert.False(await scope.Provisioner.DropAsync(request, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_ensures_of_the_same_request_all_succeed_in_one_process_and_across_two()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request();
        var otherSockets = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        try
        {
            // Same key as a second server process would read from the shared secret file.
            var key = scope.Key;
            await using var first = PostgresTestServer.CreateProvisioner(scope.SocketDirectory + "/a", key: key);
            await using var second = PostgresTestServer.CreateProvisioner(otherSockets, key: key);

            var bindings = await Task.WhenAll(
                Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? first : second).EnsureAsync(request, CancellationToken.None)));

            Assert.All(bindings, binding => Assert.Equal(bindings[0].Environment["FERRY_DATABASE_MAIN_PASSWORD"], binding.Environment["FERRY_DATABASE_MAIN_PASSWORD"]));
            await using var connection = new NpgsqlConnection(PostgresTestServer.AppConnectionString(bindings[0]));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal(first.NamesFor(request).Database, await command.ExecuteScalarAsync());
        }
        finally
        {
            Directory.Delete(otherSockets, recursive: true);
        }
    }

    [Fact]
    public async Task Names_that_read_alike_or_run_long_get_distinct_valid_identifiers()
    {
        await using var scope = new PostgresTestScope();
        var longSegment = "X" + new string('y', 62) + "-";
        DatabaseRequest[] requests =
        [
            scope.Request(service: "a-b", name: "db-1"),
            scope.Request(service: "a_b", name: "db_1"),
            scope.Request(service: "A-B", stage: "Prod_1", region: "eu-west-1", name: "db-1"),
            scope.Request(service: longSegment, stage: longSegment, region: longSegment, name: "n" + new string('-', 39)),
            scope.Request(service: longSegment, stage: longSegment, region: longSegment, name: "n" + new string('_', 39)),
        ];

        var bindings = new List<DatabaseBinding>();
        foreach (var request in requests)
        {
            bindings.Add(await scope.EnsureAsync(request));
        }

        var databases = bindings.Select(b => b.Environment[DatabaseEnvironment.DatabaseName(b.Name)]).ToList();
        Assert.Equal(databases.Count, databases.Distinct().Count());
        Assert.All(databases, database => Assert.Matches("^ferry_[0-9a-f]{32}$", database));
        Assert.All(databases, database => Assert.InRange(database.Length, 1, 63));
        foreach (var binding in bindings)
        {
            await using var connection = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user::text", connection);
            Assert.Equal(binding.Environment[DatabaseEnvironment.User(binding.Name)], await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task The_catalog_shows_other_tenants_nothing_but_opaque_names()
    {
        await using var scope = new PostgresTestScope();
        var own = await scope.EnsureAsync(scope.Request(service: "payroll", name: "salaries"));
        var other = await scope.EnsureAsync(scope.Request(tenant: "u" + PostgresTestServer.RandomSuffix(), service: "chat", name: "messages"));

        // pg_database and pg_roles are readable by every role: what another tenant's role sees there.
        await using var connection = new NpgsqlConnection(PostgresTestServer.AppConnectionString(other));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT datname::text FROM pg_database UNION ALL SELECT rolname::text FROM pg_roles", connection);
        var visible = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                visible.Add(reader.GetString(0));
            }
        }

        var ownName = own.Environment[DatabaseEnvironment.DatabaseName(own.Name)];
        Assert.Contains(ownName, visible); // listed, as PostgreSQL lists every database…
        Assert.Matches("^ferry_[0-9a-f]{32}$", ownName); // …but the name says nothing about whose it is
        Assert.DoesNotContain(visible, name => name.Contains(scope.Tenant, StringComparison.Ordinal)
                                               || name.Contains("payroll", StringComparison.Ordinal)
                                               || name.Contains("salaries", StringComparison.Ordinal));

        // And CONNECT is revoked from PUBLIC: the other tenant's role cannot get in.
        var intruder = new NpgsqlConnectionStringBuilder(PostgresTestServer.AppConnectionString(other)) { Database = ownName };
        await using var denied = new NpgsqlConnection(intruder.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => denied.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_database_made_with_a_readable_name_keeps_it_and_its_data()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request(name: "legacy");
        var readable = PostgresDatabaseNames.DeriveReadable(request);

        // What an earlier Ferry made: database and role with the readable name, holding data.
        await PostgresTestServer.AdminScalarAsync($"CREATE ROLE \"{readable.Role}\" LOGIN");
        await PostgresTestServer.AdminScalarAsync($"CREATE DATABASE \"{readable.Database}\" OWNER \"{readable.Role}\"");
        var admin = new NpgsqlConnectionStringBuilder(PostgresTestServer.AdminConnectionString) { Database = readable.Database, Pooling = false };
        await using (var seed = new NpgsqlConnection(admin.ConnectionString))
        {
            await seed.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42);", seed);
            await create.ExecuteNonQueryAsync();
        }

        var binding = await scope.EnsureAsync(request);

        Assert.Equal(readable.Database, binding.Environment[DatabaseEnvironment.DatabaseName(binding.Name)]);
        Assert.Equal(readable.Role, binding.Environment[DatabaseEnvironment.User(binding.Name)]);
        Assert.False(await PostgresTestServer.DatabaseExistsAsync(scope.Provisioner.NamesFor(request).Database));
        await using (var app = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding)))
        {
            await app.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'kept'", app);
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }

        Assert.True(await scope.Provisioner.DropAsync(request, CancellationToken.None));
        Assert.False(await PostgresTestServer.DatabaseExistsAsync(readable.Database));
        Assert.False(await PostgresTestServer.RoleExistsAsync(readable.Role));
    }

    [Fact]
    public async Task Ensure_resets_a_password_that_was_changed_behind_its_back()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request();
        var binding = await scope.EnsureAsync(request);
        var role = scope.Provisioner.NamesFor(request).Role;
        await PostgresTestServer.AdminScalarAsync($"ALTER ROLE \"{role}\" PASSWORD 'changed-elsewhere'");
        await using (var stale = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding)))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => stale.OpenAsync());
            Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        }

        Assert.Equal(binding, await scope.EnsureAsync(request));

        await using var healed = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding));
        await healed.OpenAsync();
    }

    [Fact]
    public async Task A_server_restart_with_the_same_key_derives_the_same_password()
    {
        await using var scope = new PostgresTestScope();
        var request = scope.Request();
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var sockets = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        try
        {
            DatabaseBinding before;
            await using (var first = PostgresTestServer.CreateProvisioner(sockets, key: key))
            {
                before = await first.EnsureAsync(request, CancellationToken.None);
            }

            await using var restarted = PostgresTestServer.CreateProvisioner(sockets, key: key);
            Assert.Equal(before, await restarted.EnsureAsync(request, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(sockets, recursive: true);
        }
    }

    [Fact]
    public async Task Functions_connect_through_the_relay_socket()
    {
        await using var scope = new PostgresTestScope();
        var binding = await scope.EnsureAsync(scope.Request());

        // The relay socket is named .s.PGSQL.5432, so its folder works as Npgsql's Host.
        var viaRelay = new NpgsqlConnectionStringBuilder(PostgresTestServer.AppConnectionString(binding))
        {
            Host = scope.SocketDirectory,
            Port = 5432,
        };
        await using var connection = new NpgsqlConnection(viaRelay.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user::text || '@' || current_database()", connection);

        Assert.Equal(
            $"{binding.Environment["FERRY_DATABASE_MAIN_USER"]}@{binding.Environment["FERRY_DATABASE_MAIN_NAME"]}",
            await command.ExecuteScalarAsync());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(binding.Service!.RelaySocketPath));
    }

    [Fact]
    public async Task Psql_connects_with_the_primary_aliases_alone_and_with_DATABASE_URL()
    {
        await using var scope = new PostgresTestScope();
        var binding = DatabaseBinding.Primary(await scope.EnsureAsync(scope.Request(name: "orders-db")));
        var admin = new NpgsqlConnectionStringBuilder(PostgresTestServer.AdminConnectionString);
        var environment = binding.Environment.ToDictionary(
            pair => pair.Key,
            pair => pair.Value.Replace("${ferry:postgres:host}", admin.Host).Replace("${ferry:postgres:port}", admin.Port.ToString()));
        var expected = $"{binding.Environment["PGUSER"]}@{binding.Environment["PGDATABASE"]}";

        Assert.Equal(expected, await PsqlAsync(environment, []));
        var urlOnly = new Dictionary<string, string> { ["DATABASE_URL"] = environment["DATABASE_URL"] };
        Assert.Equal(expected, await PsqlAsync(urlOnly, [environment["DATABASE_URL"]]));
        Assert.Contains("PGPASSWORD", binding.SecretEnvironmentKeys);
        Assert.Contains("DATABASE_URL", binding.SecretEnvironmentKeys);
    }

    [Fact]
    public async Task An_admin_with_just_CREATEDB_and_CREATEROLE_can_ensure_and_drop()
    {
        await using var admin = await LimitedAdmin.CreateAsync("CREATEDB CREATEROLE");
        await using var scope = new PostgresTestScope(admin.ConnectionString);
        var request = scope.Request();

        var binding = await scope.EnsureAsync(request);
        await using (var connection = new NpgsqlConnection(PostgresTestServer.AppConnectionString(binding)))
        {
            await connection.OpenAsync();
        }

        Assert.True(await scope.Provisioner.DropAsync(request, CancellationToken.None));
        Assert.False(await PostgresTestServer.DatabaseExistsAsync(scope.Provisioner.NamesFor(request).Database));
    }

    [Fact]
    public async Task An_admin_without_CREATEDB_gets_an_error_naming_the_database_and_the_missing_privilege()
    {
        await using var admin = await LimitedAdmin.CreateAsync("CREATEROLE");
        await using var scope = new PostgresTestScope(admin.ConnectionString);
        var request = scope.Request(name: "ledger");

        var failure = await Assert.ThrowsAsync<DatabaseProvisioningException>(() => scope.EnsureAsync(request));

        Assert.Contains("database 'ledger'", failure.Message);
        Assert.Contains(scope.Tenant, failure.Message);
        Assert.Contains("lacks CREATEDB", failure.Message);
        Assert.False(await PostgresTestServer.RoleExistsAsync(scope.Provisioner.NamesFor(request).Role));
    }

    [Fact]
    public async Task An_unreachable_server_gives_an_error_naming_the_address()
    {
        var port = FreeLoopbackPort();
        var unreachable = $"Host=127.0.0.1;Port={port};Username=ferry_test;Password=ferry_test;Database=postgres;Timeout=5";
        var sockets = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        try
        {
            await using var provisioner = PostgresTestServer.CreateProvisioner(sockets, unreachable);
            var request = new DatabaseRequest("acme", "shop", "dev", "local", "main");

            var failure = await Assert.ThrowsAsync<DatabaseProvisioningException>(() => provisioner.EnsureAsync(request, CancellationToken.None));

            Assert.Contains($"cannot reach the PostgreSQL server at 127.0.0.1:{port}", failure.Message);
            Assert.Contains("acme/shop/dev@local database 'main'", failure.Message);
        }
        finally
        {
            Directory.Delete(sockets, recursive: true);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> PsqlAsync(IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { "-X", "-A", "-t", "-w", "-c", "SELECT current_user || '@' || current_database()" })
        {
            start.ArgumentList.Add(argument);
        }

        using var psql = Process.Start(start)!;
        var output = psql.StandardOutput.ReadToEndAsync();
        var error = psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync();
        Assert.True(psql.ExitCode == 0, $"psql failed: {await error}");
        return (await output).Trim();
    }

    /// <summary>A non-superuser admin role with the given attributes, removed afterwards.</summary>
    private sealed class LimitedAdmin : IAsyncDisposable
    {
        private readonly string _role;

        private LimitedAdmin(string role, string connectionString)
        {
            _role = role;
            ConnectionString = connectionString;
        }

        public string ConnectionString { get; }

        public static async Task<LimitedAdmin> CreateAsync(string attributes)
        {
            var role = "ferry_admin_" + PostgresTestServer.RandomSuffix();
            var password = PostgresTestServer.RandomSuffix();
            await PostgresTestServer.AdminScalarAsync($"CREATE ROLE {role} LOGIN {attributes} PASSWORD '{password}'");
            var connectionString = new NpgsqlConnectionStringBuilder(PostgresTestServer.AdminConnectionString)
            {
                Username = role,
                Password = password,
                Pooling = false,
            }.ConnectionString;
            return new LimitedAdmin(role, connectionString);
        }

        public async ValueTask DisposeAsync() =>
            await PostgresTestServer.AdminScalarAsync($"DROP ROLE IF EXISTS {_role}");
    }
}
