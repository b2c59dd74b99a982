using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// An app stage uses another app stage's database (<c>resources.databases.NAME: { service, database }</c>): only while
/// that app stage is deployed in the same tenant and declares it; the SQLite file is the owner's (bound into the
/// user's sandbox at a place of its own), survives a server restart that restores the user first, is never
/// deleted by the user's <c>remove --delete-data</c>, and the owner's <c>--delete-data</c> waits until no one uses it.
/// </summary>
public sealed class SharedDatabaseTests : IAsyncLifetime
{
    private const string VaultYml = """
        service: vault
        provider:
          runtime: python3.11
        resources:
          databases:
            main:
        functions:
          entries:
            handler: handler.entries
            events:
              - httpApi: GET /entries
        """;

    private const string TellerYml = """
        service: teller
        provider:
          runtime: python3.11
        resources:
          databases:
            ledger:
              service: vault
              database: main
        functions:
          add:
            handler: handler.add
            environment:
              LEDGER_URL: !GetAtt ledger.Url
            events:
              - httpApi: POST /entries
        """;

    private const string HandlerPy = """
        import json, os, sqlite3

        def _open(url):
            db = sqlite3.connect(url[len("sqlite://"):])
            db.execute("create table if not exists entries (id integer primary key, who text not null)")
            return db

        def entries(event, context):
            with _open(os.environ["FERRY_DATABASE_MAIN_URL"]) as db:
                rows = db.execute("select who from entries order by id").fetchall()
            return {"statusCode": 200, "body": json.dumps([who for (who,) in rows])}

        def add(event, context):
            url = os.environ["LEDGER_URL"]
            with _open(url) as db:
                db.execute("insert into entries (who) values (?)", (os.environ["AWS_LAMBDA_FUNCTION_NAME"],))
            return {"statusCode": 200, "body": json.dumps({"url": url, "primary": os.environ.get("DATABASE_URL")})}
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_database_is_used_only_while_its_owner_declares_it_and_stays_the_owners()
    {
        var teller = TestApp.Create(TellerYml, ("handler.py", HandlerPy));
        var early = await FerryCli.RunAsync(_server.BaseUrl, teller, "deploy");
        Assert.NotEqual(0, early.ExitCode);
        Assert.Contains("resources.databases.ledger uses the database 'main' of vault (stage dev, region local), but that app stage is not deployed in this tenant", early.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_server.DataDirectory, "databases", "default", "vault")), "using must not create the database");

        var vault = TestApp.Create(VaultYml, ("handler.py", HandlerPy));
        await DeployAsync(vault);
        var wrong = await FerryCli.RunAsync(_server.BaseUrl, TestApp.Create(TellerYml.Replace("database: main", "database: audit"), ("handler.py", HandlerPy)), "deploy");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("uses the database 'audit' of vault (stage dev, region local), but it declares only 'main'", wrong.Stderr);

        await DeployAsync(teller);
        var added = await AddAsync();
        Assert.Equal("sqlite:///var/ferry/used-databases/vault.dev.local/main.sqlite", added.GetProperty("url").GetString());
        Assert.Equal(added.GetProperty("url").GetString(), added.GetProperty("primary").GetString());
        Assert.Equal(["teller-dev-add"], await EntriesAsync());
        Assert.True(File.Exists(Path.Combine(_server.DataDirectory, "databases", "default", "vault", "dev@local", "main.sqlite")));
        Assert.False(Directory.Exists(Path.Combine(_server.DataDirectory, "databases", "default", "teller")));

        var info = await (await _server.Http.GetAsync("/api/v1/apps/teller/dev")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("sqlite://", info);
        Assert.Contains("sqlite, vault/dev@local database", info);

        // After a restart the user (restored first: app stages come back by name) reaches the owner's file again.
        await _server.StopAsync();
        await _server.StartAsync();
        await AddAsync();
        Assert.Equal(["teller-dev-add", "teller-dev-add"], await EntriesAsync());

        // The owner's data can't be deleted from under a user.
        var inUse = await FerryCli.RunAsync(_server.BaseUrl, vault, "remove", "--delete-data", "--yes");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("The databases of vault (stage dev) are used by teller (stage dev, region local)", inUse.Stderr);

        var removed = await FerryCli.RunAsync(_server.BaseUrl, teller, "remove", "--delete-data", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.DoesNotContain("database", removed.Stdout);
        Assert.Equal(["teller-dev-add", "teller-dev-add"], await EntriesAsync());
        var ownerRemoved = await FerryCli.RunAsync(_server.BaseUrl, vault, "remove", "--delete-data", "--yes");
        Assert.True(ownerRemoved.ExitCode == 0, ownerRemoved.ToString());
        Assert.Contains("deleted database main", ownerRemoved.Stdout);
    }

    [Fact]
    public async Task Another_tenants_database_is_not_there_to_use()
    {
        await DeployAsync(TestApp.Create(VaultYml, ("handler.py", HandlerPy)));
        var tenant = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", "globex");
        Assert.True(tenant.ExitCode == 0, tenant.ToString());
        var token = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "token", "create", "--tenant", "globex", "--name", "globex", "--role", "consumer", "--output", "json");
        Assert.True(token.ExitCode == 0, token.ToString());

        var refused = await FerryCli.RunAsAsync(JsonSerializer.Deserialize<CreatedToken>(token.Stdout, ApiJson.Options)!.Token, _server.BaseUrl,
            TestApp.Create(TellerYml.Replace("service: teller", "service: spy"), ("handler.py", HandlerPy)), "deploy");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("but that app stage is not deployed in this tenant", refused.Stderr);
    }

    [Fact]
    public async Task An_environment_reference_no_resource_provides_refuses_the_deploy()
    {
        const string Manifest = """
            {"service":"dangling","provider":{"name":"ferry","stage":"dev","region":"local","memorySize":128,"timeout":3},
             "functions":[{"name":"f","handler":"h.f","runtime":"nodejs20.x","memorySize":128,"timeout":3,
               "environment":{"DB":"${ferry:env:FERRY_DATABASE_NOPE_URL}"},"routes":[{"method":"GET","path":"/"}]}]}
            """;
        using var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = zip.CreateEntry("h.js").Open();
            await entry.WriteAsync("exports.f = async () => ({ statusCode: 200 });"u8.ToArray());
        }

        using var content = new MultipartFormDataContent { { new StringContent(Manifest, Encoding.UTF8, "application/json"), "manifest" } };
        var archivePart = new ByteArrayContent(archive.ToArray());
        archivePart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(archivePart, "archive", "app.zip");
        var response = await _server.Http.PostAsync("/api/v1/deployments", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("environment_invalid", error.GetProperty("code").GetString());
        Assert.Contains("environment variable DB reads ${ferry:env:FERRY_DATABASE_NOPE_URL}, but no resource of this app provides FERRY_DATABASE_NOPE_URL", error.GetProperty("message").GetString());
    }

    private async Task DeployAsync(string app)
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    private async Task<JsonElement> AddAsync()
    {
        var response = await _server.Http.PostAsync("/teller/dev/entries", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<string[]> EntriesAsync()
    {
        var response = await _server.Http.GetAsync("/vault/dev/entries");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonSerializer.Deserialize<string[]>(text)!;
    }
}
