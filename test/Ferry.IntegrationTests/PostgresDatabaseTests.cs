using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// With a PostgreSQL server configured, each app stage's database is a real PostgreSQL database with a role of its
/// own, reached from inside the sandbox (private network) through Ferry's relay; libpq's PG* variables are set, so
/// plain `psql` connects. Data survives `ferry remove` unless --delete-data.
/// </summary>
public sealed class PostgresDatabaseTests : IAsyncLifetime
{
    private static readonly string AdminConnection = Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    private const string LedgerYml = """
        service: ledger
        provider:
          runtime: python3.11
        resources:
          databases:
            main:
        functions:
          add:
            handler: handler.add
            events:
              - httpApi: POST /entries
        """;

    // Debian's /usr/bin/psql is a wrapper that reads /etc/postgresql-common; the real client is under /usr/lib/postgresql.
    private const string LedgerPy = """
        import glob, json, os, subprocess

        def add(event, context):
            psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
            sql = "create table if not exists entries (id serial primary key); insert into entries default values; select count(*) from entries"
            done = subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True)
            if done.returncode != 0:
                return {"statusCode": 500, "body": done.stderr}
            return {"statusCode": 200, "body": json.dumps({
                "count": int(done.stdout.strip().splitlines()[-1]),
                "database": os.environ["PGDATABASE"],
                "host": os.environ["PGHOST"] + ":" + os.environ["PGPORT"],
            })}
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { DatabaseServer = AdminConnection });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_function_uses_its_own_postgresql_database_which_outlives_remove_unless_delete_data()
    {
        var app = TestApp.Create(LedgerYml, ("handler.py", LedgerPy));
        await DeployAsync(app);
        // Start from nothing even if an earlier run left the database behind.
        await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--delete-data", "--yes");
        await DeployAsync(app);

        var first = await AddAsync();
        Assert.Equal(1, first.GetProperty("count").GetInt32());
        Assert.Equal("127.0.0.1:5432", first.GetProperty("host").GetString()); // the bridge inside the sandbox
        Assert.StartsWith("ferry_", first.GetProperty("database").GetString());
        Assert.Equal(2, (await AddAsync()).GetProperty("count").GetInt32());

        var info = await (await _server.Http.GetAsync("/api/v1/apps/ledger/dev")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("PGPASSWORD", info);

        Assert.Equal(0, (await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--yes")).ExitCode);
        await DeployAsync(app);
        Assert.Equal(3, (await AddAsync()).GetProperty("count").GetInt32());

        var deleted = await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--delete-data", "--yes");
        Assert.Contains("deleted database main", deleted.Stdout);
        await DeployAsync(app);
        Assert.Equal(1, (await AddAsync()).GetProperty("count").GetInt32());
        await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--delete-data", "--yes");
    }

    private async Task DeployAsync(string app)
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    private async Task<JsonElement> AddAsync()
    {
        var response = await _server.Http.PostAsync("/ledger/dev/entries", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }
}
