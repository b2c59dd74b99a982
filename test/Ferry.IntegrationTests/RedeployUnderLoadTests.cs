using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// Redeploys while concurrent requests flow, with the tenant's instance quota exactly as large as the busy function
/// needs: the retired revision still holds every place when the new one gets its first requests, so the places
/// must be handed over (the new revision's requests wait for them) instead of the requests failing with 429.
/// </summary>
public sealed class RedeployUnderLoadTests : IAsyncLifetime
{
    private const int Clients = 6;
    private const int Redeploys = 3;
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with
    {
        MaxInstancesPerFunction = 2,
        DefaultQuota = o.DefaultQuota with { MaxInstances = 2 },
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Redeploys_at_the_instance_quota_under_concurrent_load_fail_no_request()
    {
        var first = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("handover", 0, 0.02), "deploy");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(0, (await _server.Http.GetFromJsonAsync<JsonElement>("/handover/dev/version")).GetProperty("version").GetInt32());

        await using var load = VersionLoad.Start(_server.Http, "/handover/dev/version", Clients);

        // Both instances the quota allows are busy before every deploy.
        await load.WaitUntilAsync("answers of version 0", a => a.Count >= 20);
        for (var version = 1; version <= Redeploys; version++)
        {
            var deploy = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("handover", version, 0.02), "deploy");
            Assert.True(deploy.ExitCode == 0, deploy.ToString());
            var target = version;
            await load.WaitUntilAsync($"an answer of version {target}", a => a.Any(x => x.Version == target));
            var served = load.Answers.Count;
            await load.WaitUntilAsync($"more answers of version {target}", a => a.Count >= served + 20);
        }

        await load.StopAsync();

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests, e.g. {string.Join(" | ", load.Failures.Take(3))}");
        Assert.Equal(Enumerable.Range(0, Redeploys + 1), load.Answers.Select(a => a.Version).Distinct().Order());
        var info = await _server.Http.GetFromJsonAsync<JsonElement>("/api/v1/apps/handover/dev");
        Assert.Equal(Redeploys + 1, info.GetProperty("revision").GetInt32());
    }
}
