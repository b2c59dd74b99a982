using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// The CLI's deploy cache against the real server (issue 12: an unchanged <c>ferry deploy</c> makes no revision and
/// neither builds nor uploads): the second deploy is only confirmed by <c>POST /api/v1/deployments/unchanged</c>, an
/// edit deploys in full, and a revision deployed from elsewhere makes the server refuse and the CLI deploy in full.
/// </summary>
public sealed class DeployCacheTests : IAsyncLifetime
{
    private const string CacheNote = "Deploy cache: nothing changed since revision";

    private FerryTestServer _server = null!;
    private readonly string _cacheHome = TempDirectory.Create("ferry-deploy-cache");

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string CounterApp(string greeting) => TestApp.Create("""
        service: cached
        provider:
          name: aws
          runtime: python3.11
        functions:
          count:
            handler: app.handler
            environment:
              GREETING: ${env:CACHED_GREETING, 'none'}
            events:
              - httpApi: 'GET /count'
        """, ("app.py", "import os\ncalls = 0\n\ndef handler(event, context):\n    global calls\n    calls += 1\n    return {'calls': calls, 'greeting': '" + greeting + "', 'env': os.environ['GREETING']}\n"));

    private Task<CliResult> DeployAsync(string app, params string[] args)
        => FerryCli.RunWithAsync(FerryCli.WithDeployCache(_cacheHome), _server.BaseUrl, app, ["deploy", .. args]);

    private async Task<JsonElement> CountAsync() => await _server.Http.GetFromJsonAsync<JsonElement>("/cached/dev/count");

    private async Task<int> LiveRevisionAsync()
        => (await _server.Http.GetFromJsonAsync<JsonElement>("/api/v1/apps/cached/dev")).GetProperty("revision").GetInt32();

    [Fact]
    public async Task The_second_deploy_of_an_unchanged_app_is_confirmed_by_the_server_without_packaging()
    {
        var app = CounterApp("hi");
        var first = await DeployAsync(app);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Packaged cached", first.Stderr);
        Assert.DoesNotContain(CacheNote, first.Stderr);
        Assert.Equal(1, (await CountAsync()).GetProperty("calls").GetInt32());
        Assert.Single(Directory.GetFiles(Path.Combine(_cacheHome, "ferry", "deploys"), "*.json"));

        var second = await DeployAsync(app);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"{CacheNote} 1 was deployed from here", second.Stderr);
        Assert.DoesNotContain("Packaged", second.Stderr);
        Assert.Contains("Unchanged: cached (stage dev, region local) stays at revision 1", second.Stdout);
        Assert.Contains($"{_server.BaseUrl}/cached/dev/count", second.Stdout);
        Assert.Equal(1, await LiveRevisionAsync());
        // The same warm instance answers: nothing was redeployed.
        Assert.Equal(2, (await CountAsync()).GetProperty("calls").GetInt32());

        var json = await DeployAsync(app, "--output", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.True(result.GetProperty("unchanged").GetBoolean());
        Assert.Equal(1, result.GetProperty("revision").GetInt32());
        Assert.Contains(CacheNote, json.Stderr);
    }

    [Fact]
    public async Task An_edited_file_or_a_changed_variable_deploys_in_full_as_a_new_revision()
    {
        var app = CounterApp("hi");
        Assert.Equal(0, (await DeployAsync(app)).ExitCode);

        File.AppendAllText(Path.Combine(app, "app.py"), "# edited\n");
        var edited = await DeployAsync(app);

        Assert.True(edited.ExitCode == 0, edited.ToString());
        Assert.DoesNotContain(CacheNote, edited.Stderr);
        Assert.Contains("Packaged cached", edited.Stderr);
        Assert.Contains("Deployed cached (stage dev, region local) revision 2", edited.Stdout);
        Assert.Equal(2, await LiveRevisionAsync());

        var withVariable = await FerryCli.RunWithAsync(
            new Dictionary<string, string?>(FerryCli.WithDeployCache(_cacheHome)) { ["CACHED_GREETING"] = "hello" },
            _server.BaseUrl, app, "deploy");
        Assert.True(withVariable.ExitCode == 0, withVariable.ToString());
        Assert.DoesNotContain(CacheNote, withVariable.Stderr);
        Assert.Contains("Deployed cached (stage dev, region local) revision 3", withVariable.Stdout);
        Assert.Equal("hello", (await CountAsync()).GetProperty("env").GetString());

        // Without the variable again: the record is of revision 3's deploy, which read it set, so this one is full too.
        var again = await DeployAsync(app);
        Assert.DoesNotContain(CacheNote, again.Stderr);
        Assert.Contains("revision 4", again.Stdout);
        var cached = await DeployAsync(app);
        Assert.Contains($"{CacheNote} 4", cached.Stderr);
    }

    [Fact]
    public async Task A_revision_deployed_from_elsewhere_makes_the_server_refuse_and_the_cli_deploy_in_full()
    {
        var here = CounterApp("here");
        Assert.Equal(0, (await DeployAsync(here)).ExitCode);
        var elsewhere = await DeployAsync(CounterApp("elsewhere"));
        Assert.True(elsewhere.ExitCode == 0, elsewhere.ToString());
        Assert.Equal(2, await LiveRevisionAsync());
        Assert.Equal("elsewhere", (await CountAsync()).GetProperty("greeting").GetString());

        var back = await DeployAsync(here);

        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("cached (stage dev, region local) no longer serves that package and manifest; deploying in full", back.Stderr);
        Assert.Contains("Packaged cached", back.Stderr);
        Assert.Contains("Deployed cached (stage dev, region local) revision 3", back.Stdout);
        Assert.Equal("here", (await CountAsync()).GetProperty("greeting").GetString());

        // Its new record is of revision 3, which is live: the next deploy from here is served by the cache again.
        var next = await DeployAsync(here);
        Assert.Contains($"{CacheNote} 3", next.Stderr);
    }

    [Fact]
    public async Task The_server_answers_only_its_own_tenant_and_only_for_the_live_package_and_manifest()
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, CounterApp("hi"), "deploy", "--output", "json");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        var result = JsonSerializer.Deserialize<DeploymentResult>(deployed.Stdout, ApiJson.Options)!;
        Assert.Matches("^[0-9a-f]{64}$", result.PackageSha256);
        Assert.Matches("^[0-9a-f]{64}$", result.ManifestSha256);
        var query = new UnchangedDeploymentQuery("cached", "dev", "local", result.PackageSha256!, result.ManifestSha256!);

        var same = await _server.Http.PostAsJsonAsync("/api/v1/deployments/unchanged", query, ApiJson.Options);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        var kept = (await same.Content.ReadFromJsonAsync<DeploymentResult>(ApiJson.Options))!;
        Assert.True(kept.Unchanged);
        Assert.Equal(1, kept.Revision);
        Assert.Equal($"{_server.BaseUrl}/cached/dev/count", Assert.Single(kept.Routes).Url);

        var otherPackage = await _server.Http.PostAsJsonAsync("/api/v1/deployments/unchanged", query with { PackageSha256 = new string('0', 64) }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, otherPackage.StatusCode);
        Assert.Contains("\"changed\"", await otherPackage.Content.ReadAsStringAsync());
        var otherManifest = await _server.Http.PostAsJsonAsync("/api/v1/deployments/unchanged", query with { ManifestSha256 = new string('0', 64) }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, otherManifest.StatusCode);
        var notHex = await _server.Http.PostAsJsonAsync("/api/v1/deployments/unchanged", query with { ManifestSha256 = "abc" }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.BadRequest, notHex.StatusCode);

        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/deployments/unchanged", query, ApiJson.Options)).StatusCode);

        Assert.Equal(0, (await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", "globex")).ExitCode);
        var token = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "token", "create", "--tenant", "globex", "--name", "globex test", "--role", "consumer", "--output", "json");
        Assert.True(token.ExitCode == 0, token.ToString());
        using var globex = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        globex.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonSerializer.Deserialize<CreatedToken>(token.Stdout, ApiJson.Options)!.Token);
        var foreign = await globex.PostAsJsonAsync("/api/v1/deployments/unchanged", query, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);
        Assert.Contains("service_name_taken", await foreign.Content.ReadAsStringAsync());
    }
}
