using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>Tokens, roles and tenant boundaries on the REST API: other tenants' things are 404, never data.</summary>
public sealed class AccessTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> CreateTokenAsync(string tenant, params string[] roles)
    {
        var tenantResult = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", tenant);
        Assert.True(tenantResult.ExitCode == 0 || tenantResult.Stderr.Contains("already exists"), tenantResult.ToString());
        var args = new List<string> { "token", "create", "--tenant", tenant, "--name", $"{tenant} test", "--output", "json" };
        foreach (var role in roles)
        {
            args.AddRange(["--role", role]);
        }

        var created = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, [.. args]);
        Assert.True(created.ExitCode == 0, created.ToString());
        return JsonSerializer.Deserialize<CreatedToken>(created.Stdout, ApiJson.Options)!.Token;
    }

    private HttpClient ClientWith(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task The_api_refuses_requests_without_a_valid_token_but_function_urls_stay_public()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var anonymous = ClientWith(null);
        var noToken = await anonymous.GetAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("unauthenticated", (await noToken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());

        using var forged = ClientWith("fry_" + new string('x', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/v1/apps")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/hello/dev/users/1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);

        var cli = await FerryCli.RunAsAsync(null, _server.BaseUrl, Repo.Sample("hello"), "apps");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("token", cli.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_consumer_never_sees_or_touches_another_tenants_apps_logs_or_functions()
    {
        var acme = await CreateTokenAsync("acme", "consumer");
        var globex = await CreateTokenAsync("globex", "consumer");
        var deploy = await FerryCli.RunAsAsync(acme, _server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        (await _server.Http.GetAsync("/hello/dev/users/1")).EnsureSuccessStatusCode();

        using var intruder = ClientWith(globex);
        Assert.Empty((await intruder.GetFromJsonAsync<JsonElement[]>("/api/v1/apps"))!);
        foreach (var path in new[] { "/api/v1/apps/hello/dev", "/api/v1/apps/hello/dev/logs", "/api/v1/apps/hello/dev/logs/stream" })
        {
            var response = await intruder.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("users", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await intruder.PostAsync("/api/v1/apps/hello/dev/functions/users/invoke", JsonContent.Create(new { }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.DeleteAsync("/api/v1/apps/hello/dev")).StatusCode);

        // Nor can it take over the URL by deploying the same service and stage.
        var takeover = await FerryCli.RunAsAsync(globex, _server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.Equal(1, takeover.ExitCode);
        Assert.Contains("another tenant", takeover.Stderr);

        using var owner = ClientWith(acme);
        var apps = await owner.GetFromJsonAsync<JsonElement[]>("/api/v1/apps");
        Assert.Equal("hello", Assert.Single(apps!).GetProperty("service").GetString());
    }

    [Fact]
    public async Task Roles_limit_what_a_token_may_do()
    {
        var reviewer = await CreateTokenAsync("acme", "reviewer");
        var consumer = await CreateTokenAsync("acme", "consumer");

        using var asReviewer = ClientWith(reviewer);
        Assert.Equal(HttpStatusCode.Forbidden, (await asReviewer.GetAsync("/api/v1/apps")).StatusCode);

        using var asConsumer = ClientWith(consumer);
        Assert.Equal(HttpStatusCode.Forbidden, (await asConsumer.PostAsJsonAsync("/api/v1/tenants", new { name = "evil" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asConsumer.PostAsJsonAsync("/api/v1/tokens", new { tenant = "acme", name = "x", roles = new[] { "admin" } })).StatusCode);
        var me = await asConsumer.GetFromJsonAsync<WhoAmI>("/api/v1/whoami", ApiJson.Options);
        Assert.Equal("acme", me!.Tenant);
        Assert.Equal(["consumer"], me.Roles);
    }

    [Fact]
    public async Task A_revoked_token_stops_working()
    {
        var token = await CreateTokenAsync("acme", "consumer");
        using var client = ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/apps")).StatusCode);

        var tokens = await _server.Http.GetFromJsonAsync<TokenInfo[]>("/api/v1/tokens", ApiJson.Options);
        var id = Assert.Single(tokens!, t => t.Tenant == "acme").Id;
        var revoke = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "token", "revoke", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(revoke.ExitCode == 0, revoke.ToString());

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/apps")).StatusCode);
    }
}
