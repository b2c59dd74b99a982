using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// Issue 12: requests for deployed apps skip routing, authentication and authorization (<see cref="GatewayFastPath"/>);
/// the server's own endpoints must still get every request meant for them.
/// </summary>
public sealed class GatewayFastPathTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void The_first_segments_of_the_servers_own_endpoints_are_read_from_the_endpoints()
    {
        var endpoints = _server.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        var reserved = GatewayFastPath.ReservedSegments.Of(endpoints);

        Assert.True(reserved.AllowsShortcut);
        foreach (var segment in new[] { "api", "API", "healthz", "metrics", "console", "2015-03-31" })
        {
            Assert.True(reserved.Contains(segment), segment);
        }

        Assert.False(reserved.Contains("webnode"));
        Assert.False(reserved.Contains("apis"));
    }

    [Fact]
    public async Task Apps_are_served_and_the_api_console_and_health_check_still_answer_as_themselves()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-node"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var page = await _server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/some/page?x=1");
        Assert.Equal("/some/page?x=1", page.GetProperty("url").GetString());

        // The API still demands a token, whatever the case of its segment; the health check and the console answer.
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/API/v1/apps")).StatusCode);
        Assert.Equal("ok", await anonymous.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/console/")).StatusCode);

        // An app that is not deployed still gets the gateway's own answer (from its fallback endpoint).
        var missing = await anonymous.GetAsync("/nosuchapp/dev/");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var body = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("app_not_found", body.GetProperty("code").GetString());
    }
}
