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

    private static string VersionedApp(int version) => TestApp.Create("""
        service: handover
        provider:
          name: aws
          runtime: python3.11
        functions:
          version:
            handler: app.handler
            events:
              - httpApi: 'GET /version'
        """, ("app.py", $"import time\n\ndef handler(event, context):\n    time.sleep(0.02)\n    return {{'version': {version}}}\n"));

    [Fact]
    public async Task Redeploys_at_the_instance_quota_under_concurrent_load_fail_no_request()
    {
        var first = await FerryCli.RunAsync(_server.BaseUrl, VersionedApp(0), "deploy");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(0, (await _server.Http.GetFromJsonAsync<JsonElement>("/handover/dev/version")).GetProperty("version").GetInt32());

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var seen = new HashSet<int>();
        var ok = 0;
        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await _server.Http.GetAsync("/handover/dev/version");
                var text = await response.Content.ReadAsStringAsync();
                lock (failures)
                {
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Add($"{(int)response.StatusCode} {text}");
                    }
                    else
                    {
                        ok++;
                        seen.Add(JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt32());
                    }
                }
            }
        })).ToList();

        // Polls the counters the clients keep (under their lock); a generous bound, no timing assertion.
        async Task WaitUntilAsync(string what, Func<bool> condition)
        {
            for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(2); waited += TimeSpan.FromMilliseconds(20))
            {
                lock (failures)
                {
                    if (condition())
                    {
                        return;
                    }
                }

                await Task.Delay(20);
            }

            lock (failures)
            {
                Assert.Fail($"waited 2 min for {what}; {ok} answers, versions {string.Join(",", seen)}, failures: {string.Join(" | ", failures.Take(5))}");
            }
        }

        // Both instances the quota allows are busy before every deploy.
        await WaitUntilAsync("answers of version 0", () => ok >= 20);
        for (var version = 1; version <= Redeploys; version++)
        {
            var deploy = await FerryCli.RunAsync(_server.BaseUrl, VersionedApp(version), "deploy");
            Assert.True(deploy.ExitCode == 0, deploy.ToString());
            var target = version;
            await WaitUntilAsync($"an answer of version {target}", () => seen.Contains(target));
            int served;
            lock (failures)
            {
                served = ok;
            }

            await WaitUntilAsync($"more answers of version {target}", () => ok >= served + 20);
        }

        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.True(failures.Count == 0, $"{failures.Count} failed requests, e.g. {string.Join(" | ", failures.Take(3))}");
        Assert.Equal(Enumerable.Range(0, Redeploys + 1), seen.Order());
        var info = await _server.Http.GetFromJsonAsync<JsonElement>("/api/v1/apps/handover/dev");
        Assert.Equal(Redeploys + 1, info.GetProperty("revision").GetInt32());
    }
}
