using System.Net.Http.Json;
using System.Net;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Deployments;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>Per-function autoscaling from serverless.yml: instances kept warm, and a ceiling that queues instead of scaling.</summary>
public sealed class ScalingTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(300) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Min_instances_are_started_before_any_request_and_kept_while_max_instances_caps_a_burst()
    {
        var app = TestApp.Create("""
            service: scaled
            provider:
              name: aws
              runtime: python3.11
            functions:
              warm:
                handler: app.handler
                minInstances: 1
                events:
                  - httpApi: 'GET /warm'
              capped:
                handler: app.slow
                maxInstances: 1
                events:
                  - httpApi: 'GET /capped'
            """, ("app.py", "import time\ndef handler(event, context):\n    return {'ok': True}\ndef slow(event, context):\n    time.sleep(0.3)\n    return {'ok': True}\n"));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var pools = _server.Services.GetRequiredService<LiveApps>().Get("scaled", "dev", "local")!.Deployed.Pools;

        // Warm before the first request, and still there well after the idle timeout (300 ms) has passed.
        for (var attempt = 0; attempt < 100 && pools["warm"].InstanceCount == 0; attempt++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, pools["warm"].InstanceCount);
        await Task.Delay(1500);
        Assert.Equal(1, pools["warm"].InstanceCount);

        // Four at once to a function capped at one instance: they queue, all are answered, one instance serves them.
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _server.Http.GetAsync("/scaled/dev/capped")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, pools["capped"].InstanceCount);
    }

    [Fact]
    public async Task A_warm_instance_that_keeps_dying_is_restarted_with_back_off_not_in_a_tight_loop()
    {
        var app = TestApp.Create("""
            service: looping
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              dies:
                handler: handler.main
                minInstances: 1
                events:
                  - httpApi: 'GET /'
            """, ("handler.js", "setTimeout(() => process.exit(7), 100);\nexports.main = async () => ({ ok: true });"));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        // Each start takes well under a second, so a tight loop would start a dozen or more instances in 3 s; with
        // back-off it is the first start, one immediate replacement, and then a wait of seconds.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var logs = await _server.Http.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v1/apps/looping/dev/logs?function=dies");
        var starts = logs!.Count(l => l.GetProperty("message").GetString()!.StartsWith("INIT_START", StringComparison.Ordinal));
        Assert.InRange(starts, 2, 4);
    }
}
