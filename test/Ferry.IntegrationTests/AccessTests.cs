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

    /// <summary>Sends GET to <paramref name="path"/> exactly as written (a leading "//" is not a host here).</summary>
    private async Task<HttpResponseMessage> GetRawAsync(HttpClient client, string path)
        => await client.GetAsync(new Uri(_server.BaseUrl + path));

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error)
                ? error.GetProperty("code").GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly string[] MetricsSpellings = ["/metrics", "/Metrics", "/METRICS", "/metrics/", "/metrics?x", "/mEtRiCs/?x=1"];

    [Fact]
    public async Task Metrics_answer_only_admin_tokens_however_the_path_is_spelled()
    {
        var consumer = await CreateTokenAsync("acme", "consumer");
        using var anonymous = ClientWith(null);
        using var asConsumer = ClientWith(consumer);
        using var asAdmin = ClientWith(_server.AdminToken);
        var leaks = new List<string>();
        foreach (var path in MetricsSpellings)
        {
            var noToken = await GetRawAsync(anonymous, path);
            var noTokenBody = await noToken.Content.ReadAsStringAsync();
            if (noToken.StatusCode != HttpStatusCode.Unauthorized || await ErrorCodeAsync(noToken) != "unauthenticated"
                || noToken.Headers.WwwAuthenticate.ToString() != "Bearer" || noTokenBody.Contains("# HELP", StringComparison.Ordinal))
            {
                leaks.Add($"{path} without a token: {(int)noToken.StatusCode} {noTokenBody[..Math.Min(80, noTokenBody.Length)]}");
            }

            var consumerAnswer = await GetRawAsync(asConsumer, path);
            var consumerBody = await consumerAnswer.Content.ReadAsStringAsync();
            if (consumerAnswer.StatusCode != HttpStatusCode.Forbidden || await ErrorCodeAsync(consumerAnswer) != "forbidden"
                || consumerBody.Contains("# HELP", StringComparison.Ordinal))
            {
                leaks.Add($"{path} with a consumer token: {(int)consumerAnswer.StatusCode} {consumerBody[..Math.Min(80, consumerBody.Length)]}");
            }

            var adminAnswer = await GetRawAsync(asAdmin, path);
            if (adminAnswer.StatusCode != HttpStatusCode.OK || !(await adminAnswer.Content.ReadAsStringAsync()).Contains("# HELP", StringComparison.Ordinal))
            {
                leaks.Add($"{path} with an admin token: {(int)adminAnswer.StatusCode}, no series");
            }
        }

        // "//metrics" is not the metrics endpoint (routing does not match an empty first segment): the gateway answers
        // it, and knows no service "".
        foreach (var client in new[] { anonymous, asConsumer, asAdmin })
        {
            var doubleSlash = await GetRawAsync(client, "//metrics");
            var body = await doubleSlash.Content.ReadAsStringAsync();
            if (doubleSlash.StatusCode != HttpStatusCode.NotFound || body.Contains("# HELP", StringComparison.Ordinal))
            {
                leaks.Add($"//metrics: {(int)doubleSlash.StatusCode} {body[..Math.Min(80, body.Length)]}");
            }
        }

        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    [Fact]
    public async Task Api_paths_need_a_token_and_the_right_role_however_they_are_spelled()
    {
        var consumer = await CreateTokenAsync("acme", "consumer");
        using var anonymous = ClientWith(null);
        using var asConsumer = ClientWith(consumer);
        using var asAdmin = ClientWith(_server.AdminToken);
        var wrong = new List<string>();
        async Task ExpectAsync(HttpClient client, string who, string path, HttpStatusCode status, string? code)
        {
            var response = await GetRawAsync(client, path);
            var actualCode = await ErrorCodeAsync(response);
            if (response.StatusCode != status || (code is not null && actualCode != code))
            {
                wrong.Add($"{path} {who}: expected {(int)status} {code}, got {(int)response.StatusCode} {actualCode}");
            }
        }

        // Everything under /api is the API: no token, no answer (also for paths no endpoint has).
        foreach (var path in new[]
                 {
                     "/api/v1/apps", "/API/v1/apps", "/Api/V1/Apps", "/api/v1/apps/", "/api/v1/apps?x", "/api//v1/apps", "/api/v1//apps",
                     "/api/v1/tenants", "/API/V1/TENANTS", "/api/v1/tenants/", "/api/v1/whoami", "/API/v1/WhoAmI/", "/api/v1/apps.json",
                     "/api/v1/no-such-endpoint", "/API/V1/NO-SUCH-ENDPOINT", "/api/v2/apps", "/api", "/API/",
                 })
        {
            await ExpectAsync(anonymous, "without a token", path, HttpStatusCode.Unauthorized, "unauthenticated");
        }

        // A path starting with "//" is no API path (routing does not match an empty first segment): the gateway answers
        // 404 in its own shape, with no data, whatever the token.
        foreach (var path in new[] { "//api/v1/apps", "//api/v1/tenants", "//API/v1/tenants" })
        {
            foreach (var (who, client) in new[] { ("without a token", anonymous), ("with a consumer token", asConsumer), ("with an admin token", asAdmin) })
            {
                var response = await GetRawAsync(client, path);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.NotFound || !body.Contains("URLs of apps look like", StringComparison.Ordinal))
                {
                    wrong.Add($"{path} {who}: expected the gateway's 404, got {(int)response.StatusCode} {body[..Math.Min(80, body.Length)]}");
                }
            }
        }

        // The tenants list is for admins only, however it is spelled.
        foreach (var path in new[] { "/api/v1/tenants", "/API/V1/TENANTS", "/api/v1/tenants/", "/Api/v1/Tenants?x" })
        {
            await ExpectAsync(asConsumer, "with a consumer token", path, HttpStatusCode.Forbidden, "forbidden");
            await ExpectAsync(asAdmin, "with an admin token", path, HttpStatusCode.OK, null);
        }

        foreach (var path in new[] { "/api/v1/apps", "/API/v1/apps", "/api/v1/apps/", "/API/V1/WHOAMI" })
        {
            await ExpectAsync(asConsumer, "with a consumer token", path, HttpStatusCode.OK, null);
        }

        await ExpectAsync(asConsumer, "with a consumer token", "/api/v1/no-such-endpoint", HttpStatusCode.NotFound, "not_found");

        // Other methods on known paths are still the API: a token first.
        foreach (var (method, path) in new[] { (HttpMethod.Delete, "/API/V1/TENANTS"), (HttpMethod.Head, "/api/v1/apps"), (HttpMethod.Put, "/api/v1/whoami") })
        {
            var response = await anonymous.SendAsync(new HttpRequestMessage(method, new Uri(_server.BaseUrl + path)));
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                wrong.Add($"{method} {path} without a token: expected 401, got {(int)response.StatusCode}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Refusals_keep_their_error_shape_and_challenge()
    {
        var reviewer = await CreateTokenAsync("acme", "reviewer");
        using var anonymous = ClientWith(null);
        var noToken = await anonymous.GetAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("Bearer", noToken.Headers.WwwAuthenticate.ToString());
        var noTokenError = (await noToken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("unauthenticated", noTokenError.GetProperty("code").GetString());
        Assert.Contains("Authorization: Bearer TOKEN", noTokenError.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var forged = ClientWith("fry_" + new string('x', 43));
        var invalid = await forged.GetAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, invalid.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", invalid.Headers.WwwAuthenticate.ToString());
        Assert.Equal("invalid_token", await ErrorCodeAsync(invalid));

        using var asReviewer = ClientWith(reviewer);
        var forbidden = await asReviewer.GetAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var forbiddenError = (await forbidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("forbidden", forbiddenError.GetProperty("code").GetString());
        Assert.Equal("This needs the role admin or provider or consumer; the token 'acme test' has reviewer", forbiddenError.GetProperty("message").GetString());
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
