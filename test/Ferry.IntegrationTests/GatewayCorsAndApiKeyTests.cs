using System.Net;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// An app written for API Gateway: an HTTP API with <c>provider.httpApi.cors</c>, a REST route with <c>cors: true</c>,
/// and a <c>private: true</c> route with API keys, deployed with the CLI and called as a browser and a partner would.
/// </summary>
public sealed class GatewayCorsAndApiKeyTests : IAsyncLifetime
{
    private const string Origin = "https://app.example.test";
    private const string DeclaredKey = "declared-key-0123456789abcdef";

    private const string Yml = $"""
        service: browserapp
        provider:
          name: aws
          runtime: nodejs20.x
          httpApi:
            cors:
              allowedOrigins: ['{Origin}']
              allowedHeaders: [Content-Type, Authorization]
              allowCredentials: true
              exposedResponseHeaders: [X-Total]
              maxAge: 600
          apiGateway:
            apiKeys:
              - name: declared
                value: {DeclaredKey}
        functions:
          items:
            handler: handler.items
            events:
              - httpApi: GET /items
              - httpApi: POST /items
          legacy:
            handler: handler.legacy
            events:
              - http:
                  path: legacy
                  method: get
                  cors: true
          secret:
            handler: handler.secret
            events:
              - http:
                  path: secret
                  method: get
                  private: true
        """;

    private const string HandlerJs = """
        exports.items = async () => ({
          statusCode: 200,
          headers: { 'X-Total': '3', 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'DELETE' },
          body: JSON.stringify({ items: [1, 2, 3] }),
        });
        exports.legacy = async () => ({
          statusCode: 200,
          headers: { 'Access-Control-Allow-Origin': '*' },
          body: JSON.stringify({ legacy: true }),
        });
        exports.secret = async (event) => ({ statusCode: 200, body: JSON.stringify({ secret: 42, key: event.requestContext.identity.apiKey ?? null }) });
        """;

    private FerryTestServer _server = null!;
    private string _app = null!;
    private DeploymentResult _deployed = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        _app = TestApp.Create(Yml, ("handler.js", HandlerJs));
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy", "--output", "json");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        _deployed = JsonSerializer.Deserialize<DeploymentResult>(deployed.Stdout, ApiJson.Options)!;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static HttpRequestMessage Preflight(string path, string method, string origin = Origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;

    [Fact]
    public async Task Http_api_preflights_are_answered_by_the_gateway_and_responses_carry_the_configured_headers()
    {
        using var preflight = await _server.Http.SendAsync(Preflight("/browserapp/dev/items", "POST"));
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(Origin, Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("GET,OPTIONS,POST", Header(preflight, "Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type,Authorization", Header(preflight, "Access-Control-Allow-Headers"));
        Assert.Equal("true", Header(preflight, "Access-Control-Allow-Credentials"));
        Assert.Equal("600", Header(preflight, "Access-Control-Max-Age"));
        Assert.Null(Header(preflight, "apigw-requestid")); // the function was not invoked

        using var foreign = await _server.Http.SendAsync(Preflight("/browserapp/dev/items", "POST", "https://evil.example.test"));
        Assert.Equal(HttpStatusCode.NoContent, foreign.StatusCode);
        Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/browserapp/dev/items");
        request.Headers.Add("Origin", Origin);
        using var response = await _server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Origin, Header(response, "Access-Control-Allow-Origin")); // the function's '*' is replaced, as on an HTTP API
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("X-Total", Header(response, "Access-Control-Expose-Headers"));
        Assert.Null(Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("3", Header(response, "X-Total"));
        Assert.Contains("\"items\":[1,2,3]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_function_behind_an_http_api_with_cors_gets_the_same_preflight_and_headers()
    {
        var app = TestApp.Create("""
            service: webcors
            provider:
              name: ferry
              httpApi:
                cors: true
            functions:
              site:
                runtime: web
                command: node server.js
                events:
                  - httpApi: '*'
            """, ("server.js", """
            require('http').createServer((req, res) => {
              res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': 'https://stale.test' });
              res.end(JSON.stringify({ method: req.method }));
            }).listen(process.env.PORT);
            """));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var preflight = await _server.Http.SendAsync(Preflight("/webcors/dev/anything", "DELETE"));
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Methods"));

        using var request = new HttpRequestMessage(HttpMethod.Delete, "/webcors/dev/anything");
        request.Headers.Add("Origin", Origin);
        using var response = await _server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("\"method\":\"DELETE\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_api_cors_answers_the_preflight_like_the_options_mock_and_keeps_the_functions_headers()
    {
        using var preflight = await _server.Http.SendAsync(Preflight("/browserapp/dev/legacy", "GET"));
        Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("GET,OPTIONS", Header(preflight, "Access-Control-Allow-Methods"));
        Assert.Contains("X-Api-Key", Header(preflight, "Access-Control-Allow-Headers"), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/browserapp/dev/legacy");
        request.Headers.Add("Origin", Origin);
        using var response = await _server.Http.SendAsync(request);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));

        // A route without CORS settings still refuses OPTIONS, as before.
        using var noCors = await _server.Http.SendAsync(Preflight("/browserapp/dev/secret", "GET"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, noCors.StatusCode);
    }

    [Fact]
    public async Task Private_routes_need_an_api_key_of_the_app_stage()
    {
        var declared = Assert.Single(_deployed.ApiKeys!);
        Assert.Equal(("declared", null), (declared.Name, declared.Value));

        using var anonymous = await _server.Http.GetAsync("/browserapp/dev/secret");
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Equal("""{"message":"Forbidden"}""", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetSecretAsync("not-a-key-of-this-app-0000")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetSecretAsync(DeclaredKey)).StatusCode);

        var created = await FerryCli.RunAsync(_server.BaseUrl, _app, "apikey", "create", "partner", "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var partnerKey = JsonSerializer.Deserialize<CreatedApiKey>(created.Stdout, ApiJson.Options)!.Value!;
        using (var withKey = await GetSecretAsync(partnerKey))
        {
            Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
            var body = await withKey.Content.ReadAsStringAsync();
            Assert.Contains("\"secret\":42", body, StringComparison.Ordinal);
            Assert.Contains($"\"key\":\"{partnerKey}\"", body, StringComparison.Ordinal);
        }

        var listed = await FerryCli.RunAsync(_server.BaseUrl, _app, "apikey", "list", "--app", "browserapp", "--stage", "dev", "--output", "json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var keys = JsonSerializer.Deserialize<List<ApiKeyInfo>>(listed.Stdout, ApiJson.Options)!;
        Assert.Equal(["declared", "partner"], keys.Select(k => k.Name));
        Assert.Equal(partnerKey[..6], keys[1].Prefix);
        Assert.DoesNotContain(partnerKey, listed.Stdout, StringComparison.Ordinal);

        var duplicate = await FerryCli.RunAsync(_server.BaseUrl, _app, "apikey", "create", "partner");
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("already has an API key named 'partner'", duplicate.Stderr, StringComparison.Ordinal);

        var revoked = await FerryCli.RunAsync(_server.BaseUrl, _app, "apikey", "revoke", "partner");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetSecretAsync(partnerKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetSecretAsync(DeclaredKey)).StatusCode);

        // Another stage of the same app does not accept this stage's keys.
        var devOnly = await FerryCli.RunAsync(_server.BaseUrl, _app, "apikey", "create", "dev-only", "--value", "dev-only-key-0123456789");
        Assert.True(devOnly.ExitCode == 0, devOnly.ToString());
        Assert.Equal(HttpStatusCode.OK, (await GetSecretAsync("dev-only-key-0123456789")).StatusCode);
        var prod = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy", "--stage", "prod");
        Assert.True(prod.ExitCode == 0, prod.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetSecretAsync("dev-only-key-0123456789", "prod")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetSecretAsync(DeclaredKey, "prod")).StatusCode);
    }

    private async Task<HttpResponseMessage> GetSecretAsync(string key, string stage = "dev")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/browserapp/{stage}/secret");
        request.Headers.Add("x-api-key", key);
        return await _server.Http.SendAsync(request);
    }
}
