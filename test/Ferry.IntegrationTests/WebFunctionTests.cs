using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>Traditional web apps deployed unchanged: Ferry starts them on $PORT and forwards requests (YARP).</summary>
public sealed class WebFunctionTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_plain_node_http_server_serves_requests_at_its_own_paths()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-node"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var first = await _server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/some/page?x=1");
        Assert.Equal("/some/page?x=1", first.GetProperty("url").GetString());

        var second = await _server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/");
        Assert.Equal(first.GetProperty("pid").GetInt32(), second.GetProperty("pid").GetInt32());
        Assert.Equal(2, second.GetProperty("served").GetInt32());
    }

    [Fact]
    public async Task A_flask_app_runs_unchanged()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-flask"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/flaskapp/dev/");
        Assert.Equal("flask", index.GetProperty("app").GetString());
        Assert.Equal("/flaskapp/dev", index.GetProperty("prefix").GetString());

        var item = await _server.Http.GetFromJsonAsync<JsonElement>("/flaskapp/dev/items/7?q=boat");
        Assert.Equal("7", item.GetProperty("id").GetString());
        Assert.Equal("boat", item.GetProperty("q").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/flaskapp/dev/missing")).StatusCode);
    }

    [Fact]
    public async Task A_web_function_that_never_listens_gets_502_with_the_reason()
    {
        var app = TestApp.Create("""
            service: deaf
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                command: node -e "console.log('not listening'); process.exit(4)"
                events:
                  - httpApi: '*'
            """);
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var response = await _server.Http.GetAsync("/deaf/dev/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("instance_start_failed", body.GetProperty("code").GetString());
        Assert.Contains("exited with code 4", body.GetProperty("message").GetString());
    }
}
