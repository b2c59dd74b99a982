using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// A redeploy while requests are in flight moves the traffic over to the new revision during the shift
/// (<c>--redeploy-shift</c>) instead of all at once: right after the deploy both revisions answer, once the shift is
/// over only the new one does, and no request fails on the way.
/// </summary>
public sealed class RedeployTrafficShiftTests : IAsyncLifetime
{
    private static readonly TimeSpan Shift = TimeSpan.FromSeconds(12);
    private const int Clients = 4;
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { RedeployTrafficShift = Shift });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string VersionedApp(int version) => TestApp.Create("""
        service: shifting
        provider:
          name: aws
          runtime: python3.11
        functions:
          version:
            handler: app.handler
            events:
              - httpApi: 'GET /version'
        """, ("app.py", $"import time\n\ndef handler(event, context):\n    time.sleep(0.01)\n    return {{'version': {version}}}\n"));

    private sealed record Answer(long SentAt, int Version);

    [Fact]
    public async Task A_redeploy_under_load_moves_the_traffic_over_during_the_shift_and_fails_no_request()
    {
        var first = await FerryCli.RunAsync(_server.BaseUrl, VersionedApp(0), "deploy");
        Assert.True(first.ExitCode == 0, first.ToString());

        using var stop = new CancellationTokenSource();
        var answers = new List<Answer>();
        var failures = new List<string>();
        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var sentAt = Stopwatch.GetTimestamp();
                using var response = await _server.Http.GetAsync("/shifting/dev/version");
                var text = await response.Content.ReadAsStringAsync();
                lock (answers)
                {
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answers.Add(new Answer(sentAt, JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt32()));
                    }
                    else
                    {
                        failures.Add($"{(int)response.StatusCode} {text}");
                    }
                }
            }
        })).ToList();

        // Polls what the clients collected; a generous bound, no timing assertion.
        async Task WaitUntilAsync(string what, Func<List<Answer>, bool> condition)
        {
            for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(2); waited += TimeSpan.FromMilliseconds(20))
            {
                lock (answers)
                {
                    if (condition(answers))
                    {
                        return;
                    }
                }

                await Task.Delay(20);
            }

            lock (answers)
            {
                Assert.Fail($"waited 2 min for {what}; {answers.Count} answers, failures: {string.Join(" | ", failures.Take(5))}");
            }
        }

        await WaitUntilAsync("answers of version 0", a => a.Count >= 20);
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, VersionedApp(1), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        // The switch began before the CLI heard of it: everything sent from here on was routed during or after the shift.
        var deployed = Stopwatch.GetTimestamp();
        var shiftOver = deployed + (long)(Shift.TotalSeconds * Stopwatch.Frequency);
        await WaitUntilAsync("answers to requests sent after the shift", a => a.Count(x => x.SentAt > shiftOver) >= 20);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(failures.Count == 0, $"{failures.Count} failed requests, e.g. {string.Join(" | ", failures.Take(3))}");
        var duringShift = answers.Where(a => a.SentAt > deployed && a.SentAt < shiftOver).ToList();
        Assert.Contains(duringShift, a => a.Version == 0);
        Assert.Contains(duringShift, a => a.Version == 1);
        Assert.All(answers.Where(a => a.SentAt > shiftOver), a => Assert.Equal(1, a.Version));
    }
}
