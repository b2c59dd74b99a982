using System.Diagnostics;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// A redeploy while requests are in flight moves the traffic over to the new revision during the shift
/// (<c>--redeploy-shift</c>) instead of all at once: right after the deploy both revisions answer, once the shift is
/// over only the new one does, and no request fails on the way. Two clients on requests of 0.2 s: each holds an
/// instance nearly all the time (so requests are in flight at the switch), and the old revision, whose pool runs an
/// instance per client, has one free whenever a client sends its next request (it serves only with free instances).
/// </summary>
public sealed class RedeployTrafficShiftTests : IAsyncLifetime
{
    private static readonly TimeSpan Shift = TimeSpan.FromSeconds(12);
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { RedeployTrafficShift = Shift });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_redeploy_under_load_moves_the_traffic_over_during_the_shift_and_fails_no_request()
    {
        var first = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("shifting", 0, 0.2), "deploy");
        Assert.True(first.ExitCode == 0, first.ToString());

        await using var load = VersionLoad.Start(_server.Http, "/shifting/dev/version", clients: 2);
        await load.WaitUntilAsync("answers of version 0", a => a.Count >= 10);
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, VersionLoad.App("shifting", 1, 0.2), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        // The switch began before the CLI heard of it: everything sent from here on was routed during or after the shift.
        var deployed = Stopwatch.GetTimestamp();
        var shiftOver = deployed + (long)(Shift.TotalSeconds * Stopwatch.Frequency);
        await load.WaitUntilAsync("answers to requests sent after the shift", a => a.Count(x => x.SentAt > shiftOver) >= 10);
        await load.StopAsync();

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests, e.g. {string.Join(" | ", load.Failures.Take(3))}");
        var duringShift = load.Answers.Where(a => a.SentAt > deployed && a.SentAt < shiftOver).ToList();
        Assert.Contains(duringShift, a => a.Version == 0);
        Assert.Contains(duringShift, a => a.Version == 1);
        Assert.All(load.Answers.Where(a => a.SentAt > shiftOver), a => Assert.Equal(1, a.Version));
    }
}
