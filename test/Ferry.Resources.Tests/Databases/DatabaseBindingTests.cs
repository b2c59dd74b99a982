using Ferry.Resources.Databases;

namespace Ferry.Resources.Tests.Databases;

public sealed class DatabaseBindingTests
{
    [Fact]
    public async Task Primary_adds_DATABASE_URL_for_sqlite_without_making_it_secret()
    {
        var root = Directory.CreateTempSubdirectory("ferry-sqlite-").FullName;
        try
        {
            var binding = await new SqliteDatabaseProvisioner(root).EnsureAsync(new DatabaseRequest("acme", "shop", "dev", "local", "main"), CancellationToken.None);

            var primary = DatabaseBinding.Primary(binding);

            Assert.Equal("sqlite:///var/ferry/databases/main.sqlite", primary.Environment["DATABASE_URL"]);
            Assert.Equal(binding.Environment.Count + 1, primary.Environment.Count);
            Assert.Empty(primary.SecretEnvironmentKeys);
            Assert.DoesNotContain("PGHOST", primary.Environment.Keys);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Primary_adds_the_libpq_names_for_postgres_and_keeps_their_secrecy()
    {
        var binding = new DatabaseBinding(
            "orders-db",
            "postgres",
            new Dictionary<string, string>
            {
                ["FERRY_DATABASE_ORDERS_DB_URL"] = "postgres://u:p@h:1/d",
                ["FERRY_DATABASE_ORDERS_DB_HOST"] = "h",
                ["FERRY_DATABASE_ORDERS_DB_PORT"] = "1",
                ["FERRY_DATABASE_ORDERS_DB_NAME"] = "d",
                ["FERRY_DATABASE_ORDERS_DB_USER"] = "u",
                ["FERRY_DATABASE_ORDERS_DB_PASSWORD"] = "p",
            },
            new HashSet<string> { "FERRY_DATABASE_ORDERS_DB_URL", "FERRY_DATABASE_ORDERS_DB_PASSWORD" },
            null,
            new DatabaseServiceEndpoint("postgres", "/run/ferry/pg/.s.PGSQL.5432", "127.0.0.1", 5432));

        var primary = DatabaseBinding.Primary(binding);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["DATABASE_URL"] = "postgres://u:p@h:1/d",
                ["PGHOST"] = "h",
                ["PGPORT"] = "1",
                ["PGDATABASE"] = "d",
                ["PGUSER"] = "u",
                ["PGPASSWORD"] = "p",
            },
            primary.Environment.Where(pair => !pair.Key.StartsWith("FERRY_", StringComparison.Ordinal)).ToDictionary());
        Assert.Equal(
            new HashSet<string> { "FERRY_DATABASE_ORDERS_DB_URL", "FERRY_DATABASE_ORDERS_DB_PASSWORD", "DATABASE_URL", "PGPASSWORD" },
            primary.SecretEnvironmentKeys.ToHashSet());
        Assert.NotEqual(binding, primary);
    }

    [Theory]
    [InlineData("main", "FERRY_DATABASE_MAIN_")]
    [InlineData("orders-db", "FERRY_DATABASE_ORDERS_DB_")]
    [InlineData("a_b-c9", "FERRY_DATABASE_A_B_C9_")]
    public void Environment_names_are_upper_case_with_dashes_as_underscores(string name, string prefix)
    {
        Assert.Equal(prefix, DatabaseEnvironment.Prefix(name));
        Assert.Equal(prefix + "URL", DatabaseEnvironment.Url(name));
    }

    [Fact]
    public void Derived_names_depend_on_every_field_and_the_key_and_passwords_on_the_key()
    {
        var key = new byte[32];
        var otherKey = Enumerable.Repeat((byte)1, 32).ToArray();
        var request = new DatabaseRequest("acme", "shop", "dev", "local", "main");
        var names = PostgresDatabaseNames.Derive(request, key);
        var variants = new[]
        {
            request with { Tenant = "acme2" },
            request with { Service = "shop2" },
            request with { Stage = "prod" },
            request with { Region = "eu" },
            request with { Name = "other" },
        }.Select(variant => PostgresDatabaseNames.Derive(variant, key).Database);

        Assert.All(variants, database => Assert.NotEqual(names.Database, database));
        Assert.Equal(names, PostgresDatabaseNames.Derive(request, key));
        Assert.NotEqual(names.Database, PostgresDatabaseNames.Derive(request, otherKey).Database);
        Assert.Matches("^ferry_[0-9a-f]{32}$", names.Database);
        Assert.DoesNotContain("acme", names.Database);
        Assert.Equal(43, PostgresRolePassword.Derive(key, names).Length);
        Assert.Equal(PostgresRolePassword.Derive(key, names), PostgresRolePassword.Derive(key, names));
        Assert.NotEqual(PostgresRolePassword.Derive(key, names), PostgresRolePassword.Derive(otherKey, names));
        // Databases that kept their readable name get the same password as they always did.
        Assert.Equal(PostgresRolePassword.Derive(key, names), PostgresRolePassword.Derive(key, PostgresDatabaseNames.DeriveReadable(request)));
    }

    [Fact]
    public void Quoting_doubles_quotes_so_names_cannot_break_out()
    {
        Assert.Equal("\"a\"\"; DROP ROLE x; --\"", PostgresSql.Identifier("a\"; DROP ROLE x; --"));
        Assert.Equal("'it''s'", PostgresSql.Literal("it's"));
        Assert.Throws<ArgumentException>(() => PostgresSql.Literal("back\\slash"));
        Assert.Throws<ArgumentException>(() => PostgresSql.Identifier("nul\0"));
    }

    [Fact]
    public async Task The_password_key_file_is_created_once_private_and_read_back()
    {
        var folder = Directory.CreateTempSubdirectory("ferry-key-").FullName;
        try
        {
            var path = Path.Combine(folder, "database-key");
            var created = await PostgresPasswordKey.LoadOrCreateAsync(path, CancellationToken.None);
            var loaded = await PostgresPasswordKey.LoadOrCreateAsync(path, CancellationToken.None);

            Assert.Equal(32, created.Length);
            Assert.Equal(created, loaded);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            await File.WriteAllBytesAsync(path, new byte[5]);
            var failure = await Assert.ThrowsAsync<InvalidDataException>(() => PostgresPasswordKey.LoadOrCreateAsync(path, CancellationToken.None));
            Assert.Contains(path, failure.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_used_sqlite_database_is_bound_at_its_own_place_under_the_users_name()
    {
        var root = Directory.CreateTempSubdirectory("ferry-sqlite-").FullName;
        try
        {
            var owner = await new SqliteDatabaseProvisioner(root).EnsureAsync(new DatabaseRequest("acme", "shop-db", "dev", "local", "shop-db"), CancellationToken.None);

            var used = owner.UsedAs("orders", "/var/ferry/used-databases/shop-db.dev.local");

            Assert.Equal("orders", used.Name);
            Assert.Equal(
                new Dictionary<string, string>
                {
                    ["FERRY_DATABASE_ORDERS_URL"] = "sqlite:///var/ferry/used-databases/shop-db.dev.local/shop-db.sqlite",
                    ["FERRY_DATABASE_ORDERS_PATH"] = "/var/ferry/used-databases/shop-db.dev.local/shop-db.sqlite",
                },
                used.Environment);
            Assert.Equal(new DatabaseMount(owner.Mount!.HostPath, "/var/ferry/used-databases/shop-db.dev.local"), used.Mount);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_used_postgres_database_keeps_the_owners_role_and_secrecy_under_the_users_name()
    {
        var owner = new DatabaseBinding(
            "main",
            "postgres",
            new Dictionary<string, string>
            {
                ["FERRY_DATABASE_MAIN_URL"] = "postgres://owner:p@h:1/d",
                ["FERRY_DATABASE_MAIN_USER"] = "owner",
                ["FERRY_DATABASE_MAIN_PASSWORD"] = "p",
            },
            new HashSet<string> { "FERRY_DATABASE_MAIN_URL", "FERRY_DATABASE_MAIN_PASSWORD" },
            null,
            new DatabaseServiceEndpoint("postgres", "/run/ferry/pg/.s.PGSQL.5432", "127.0.0.1", 5432));

        var used = owner.UsedAs("ledger", "/var/ferry/used-databases/billing.prod.local");

        Assert.Equal("postgres://owner:p@h:1/d", used.Environment["FERRY_DATABASE_LEDGER_URL"]);
        Assert.Equal("owner", used.Environment["FERRY_DATABASE_LEDGER_USER"]);
        Assert.Equal(["FERRY_DATABASE_LEDGER_PASSWORD", "FERRY_DATABASE_LEDGER_URL"], used.SecretEnvironmentKeys.Order());
        Assert.Null(used.Mount);
        Assert.Equal(owner.Service, used.Service);
    }
}
