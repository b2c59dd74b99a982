using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>Revisions: redeploy while serving (no failed request), and everything still served after a restart.</summary>
public sealed class RevisionTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Redeploying_while_requests_flow_loses_none_and_switches_to_the_new_revision()
    {
        var deploy1 = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("versioned", 1, 0), "deploy");
        Assert.True(deploy1.ExitCode == 0, deploy1.ToString());
        Assert.Equal(1, (await _server.Http.GetFromJsonAsync<JsonElement>("/versioned/dev/version")).GetProperty("version").GetInt32());

        await using var load = VersionLoad.Start(_server.Http, "/versioned/dev/version", clients: 1);
        await load.WaitUntilAsync("answers of version 1", a => a.Count >= 5);
        var deploy2 = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("versioned", 2, 0), "deploy");
        Assert.True(deploy2.ExitCode == 0, deploy2.ToString());
        // The deploy came while a request was in flight, so its traffic moves over during the shift (the default
        // second, begun before the deploy returned): the load goes on until the new revision answers, and past the shift.
        var deployed = System.Diagnostics.Stopwatch.GetTimestamp();
        await load.WaitUntilAsync("an answer of version 2", a => a.Any(x => x.Version == 2));
        var restOfShift = TimeSpan.FromSeconds(1) - System.Diagnostics.Stopwatch.GetElapsedTime(deployed);
        if (restOfShift > TimeSpan.Zero)
        {
            await Task.Delay(restOfShift);
        }

        await load.StopAsync();

        Assert.Empty(load.Failures);
        Assert.Contains(load.Answers, a => a.Version == 1);
        Assert.Contains(load.Answers, a => a.Version == 2);
        Assert.Equal(2, (await _server.Http.GetFromJsonAsync<JsonElement>("/versioned/dev/version")).GetProperty("version").GetInt32());
    }

    private static string CounterApp(string greeting) => TestApp.Create("""
        service: counter
        provider:
          name: aws
          runtime: python3.11
        functions:
          count:
            handler: app.handler
            events:
              - httpApi: 'GET /count'
        """, ("app.py", "calls = 0\n\ndef handler(event, context):\n    global calls\n    calls += 1\n    return {'calls': calls, 'greeting': '" + greeting + "'}\n"));

    [Fact]
    public async Task Deploying_an_unchanged_app_makes_no_revision_and_keeps_the_warm_instance()
    {
        var app = CounterApp("hi");
        var first = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy", "--output", "json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.False(JsonDocument.Parse(first.Stdout).RootElement.GetProperty("unchanged").GetBoolean());
        Assert.Equal(1, await CallsAsync());
        Assert.Equal(2, await CallsAsync());

        var again = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy", "--output", "json");
        Assert.True(again.ExitCode == 0, again.ToString());
        var result = JsonDocument.Parse(again.Stdout).RootElement;
        Assert.True(result.GetProperty("unchanged").GetBoolean(), again.Stdout);
        Assert.Equal(1, result.GetProperty("revision").GetInt32());
        var text = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.Contains("Unchanged: counter (stage dev, region local) stays at revision 1", text.Stdout);

        // The same instance answers: its module-level counter goes on.
        Assert.Equal(3, await CallsAsync());
        var info = await _server.Http.GetFromJsonAsync<JsonElement>("/api/v1/apps/counter/dev");
        Assert.Equal(1, info.GetProperty("revision").GetInt32());

        // A real change still makes a revision, with a fresh instance.
        var changed = await FerryCli.RunAsync(_server.BaseUrl, CounterApp("hello"), "deploy", "--output", "json");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.False(JsonDocument.Parse(changed.Stdout).RootElement.GetProperty("unchanged").GetBoolean());
        Assert.Equal(2, JsonDocument.Parse(changed.Stdout).RootElement.GetProperty("revision").GetInt32());
        Assert.Equal(1, await CallsAsync());
    }

    private async Task<int> CallsAsync()
        => (await _server.Http.GetFromJsonAsync<JsonElement>("/counter/dev/count")).GetProperty("calls").GetInt32();

    [Fact]
    public async Task Deployed_apps_are_served_again_after_a_restart()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/hello/dev/users/1")).StatusCode);

        await _server.StopAsync();
        await _server.StartAsync();

        var after = await _server.Http.GetFromJsonAsync<JsonElement>("/hello/dev/users/2");
        Assert.Equal("2", after.GetProperty("id").GetString());
        var info = await _server.Http.GetFromJsonAsync<JsonElement>("/api/v1/apps/hello/dev");
        Assert.Equal(1, info.GetProperty("revision").GetInt32());
    }
}
