using System.Net;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// With a PostgreSQL server configured, an app stage that uses another's database connects to the owner's
/// database as the owner's role (libpq's PG* variables name it, so plain `psql` connects), and its
/// `remove --delete-data` leaves the owner's database alone.
/// </summary>
public sealed class SharedPostgresDatabaseTests : IAsyncLifetime
{
    private static readonly string AdminConnection = Environment.GetEnvironmentVariable("FERRY_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=ferry_test;Password=ferry_test;Database=postgres";

    private const string OwnerYml = """
        service: pgvault
        provider:
          runtime: python3.11
        resources:
          databases:
            main:
        functions:
          count:
            handler: handler.count
            events:
              - httpApi: GET /entries
        """;

    private const string UserYml = """
        service: pgteller
        provider:
          runtime: python3.11
        resources:
          databases:
            ledger:
              service: pgvault
              database: main
        functions:
          add:
            handler: handler.add
            environment:
              LEDGER_URL: !GetAtt ledger.Url
            events:
              - httpApi: POST /entries
        """;

    // Debian's /usr/bin/psql is a wrapper that reads /etc/postgresql-common; the real client is under /usr/lib/postgresql.
    private const string HandlerPy = """
        import glob, json, os, subprocess

        def _psql(sql):
            psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
            done = subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
            return int(done.stdout.strip().splitlines()[-1])

        def _reply(count):
            return {"statusCode": 200, "body": json.dumps({
                "count": count,
                "user": os.environ["PGUSER"],
                "database": os.environ["PGDATABASE"],
                "url": os.environ.get("LEDGER_URL", ""),
            })}

        def count(event, context):
            return _reply(_psql("create table if not exists entries (id serial primary key); select count(*) from entries"))

        def add(event, context):
            return _reply(_psql("create table if not exists entries (id serial primary key); insert into entries default values; select count(*) from entries"))
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { DatabaseServer = AdminConnection });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_used_postgresql_database_is_reached_as_its_owner_and_kept_by_the_users_delete_data()
    {
        var owner = TestApp.Create(OwnerYml, ("handler.py", HandlerPy));
        var user = TestApp.Create(UserYml, ("handler.py", HandlerPy));
        await DeployAsync(owner);
        // Start from nothing even if an earlier run left the database behind.
        await FerryCli.RunAsync(_server.BaseUrl, owner, "remove", "--delete-data", "--yes");
        await DeployAsync(owner);
        await DeployAsync(user);

        var added = await CallAsync(HttpMethod.Post, "/pgteller/dev/entries");
        var seen = await CallAsync(HttpMethod.Get, "/pgvault/dev/entries");
        Assert.Equal(1, added.GetProperty("count").GetInt32());
        Assert.Equal(1, seen.GetProperty("count").GetInt32());
        Assert.Equal(seen.GetProperty("user").GetString(), added.GetProperty("user").GetString());
        Assert.Equal(seen.GetProperty("database").GetString(), added.GetProperty("database").GetString());
        Assert.StartsWith("postgres", added.GetProperty("url").GetString());
        Assert.Contains("@127.0.0.1:5432/", added.GetProperty("url").GetString());

        var info = await (await _server.Http.GetAsync("/api/v1/apps/pgteller/dev")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("postgres://", info);
        Assert.DoesNotContain("postgresql://", info);

        var removed = await FerryCli.RunAsync(_server.BaseUrl, user, "remove", "--delete-data", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.DoesNotContain("database", removed.Stdout);
        Assert.Equal(1, (await CallAsync(HttpMethod.Get, "/pgvault/dev/entries")).GetProperty("count").GetInt32());

        await FerryCli.RunAsync(_server.BaseUrl, owner, "remove", "--delete-data", "--yes");
    }

    private async Task DeployAsync(string app)
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    private async Task<JsonElement> CallAsync(HttpMethod method, string path)
    {
        var response = await _server.Http.SendAsync(new HttpRequestMessage(method, path));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }
}
