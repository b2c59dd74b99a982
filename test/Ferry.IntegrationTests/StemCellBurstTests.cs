using System.Globalization;
using System.Net;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Runtime.StemCells;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// The stem cell pool grows with demand: a burst of cold starts finds one cell, asks for more, and the next burst of a
/// fresh revision takes several (counted by <c>/metrics</c>).
/// </summary>
public sealed class StemCellBurstTests : IAsyncLifetime
{
    private const int Burst = 4;

    private FerryTestServer _server = null!;

    // Half-life of 10 minutes: the target the first burst sets must not decay while a loaded machine refills the cells.
    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with
    {
        StemCellsPerRuntime = 1,
        StemCellsMaxPerRuntime = 6,
        StemCellDemandHalfLife = TimeSpan.FromMinutes(10),
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private StemCellPool Cells => _server.Services.GetRequiredService<StemCellPool>();

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> what)
    {
        for (var attempt = 0; attempt < 600 && !condition(); attempt++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), $"timed out waiting: {what()}");
    }

    private async Task<double> MetricAsync(string series)
    {
        var text = await _server.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {series} in /metrics");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>Burst requests at once; each handler sleeps 2 s, so every request needs an instance of its own.</summary>
    private async Task BurstAsync(string service)
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => _server.Http.GetAsync($"/{service}/dev/slow")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task After_a_burst_of_cold_starts_the_pool_grows_and_the_next_burst_takes_more_than_one_cell()
    {
        var app = BurstyApp("bursty");
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        await WaitUntilAsync(() => Cells.Stats(StemCellFamily.Python).Ready == 1, () => $"the python floor cell: {Cells.Stats(StemCellFamily.Python)}");
        Assert.Equal(1, await MetricAsync("ferry_stem_cells_target{runtime=\"python\"}"));

        await BurstAsync("bursty");

        // The burst wanted a cell per instance and found one: the target follows the demand, the pool refills to it.
        var afterFirst = Cells.Stats(StemCellFamily.Python);
        Assert.Equal(Burst, afterFirst.Taken + afterFirst.Missed);
        Assert.True(afterFirst.Target >= 2, $"the burst raised the target: {afterFirst}");
        await WaitUntilAsync(() => Cells.Stats(StemCellFamily.Python) is { Starting: 0 } s && s.Ready == s.Target,
            () => $"the pool refills to its target: {Cells.Stats(StemCellFamily.Python)}");
        var ready = Cells.Stats(StemCellFamily.Python).Ready;
        Assert.True(ready >= 2, $"the pool grew: {Cells.Stats(StemCellFamily.Python)}");
        Assert.Equal(ready, await MetricAsync("ferry_stem_cells{runtime=\"python\",state=\"ready\"}"));
        Assert.Equal(ready, await MetricAsync("ferry_stem_cells_target{runtime=\"python\"}"));

        // Another app with no instance yet: its burst takes the waiting cells. (Not a redeploy of the first: a new
        // revision of a function that runs instances is warmed up to as many before it goes live, so those would take
        // the cells during the deploy and the burst would find warm instances.)
        var other = await FerryCli.RunAsync(_server.BaseUrl, BurstyApp("bursty2"), "deploy");
        Assert.True(other.ExitCode == 0, other.ToString());
        var takenBefore = await MetricAsync("ferry_stem_cells_taken_total{runtime=\"python\"}");
        var missedBefore = await MetricAsync("ferry_stem_cell_misses_total{runtime=\"python\"}");

        await BurstAsync("bursty2");

        var taken = await MetricAsync("ferry_stem_cells_taken_total{runtime=\"python\"}") - takenBefore;
        var missed = await MetricAsync("ferry_stem_cell_misses_total{runtime=\"python\"}") - missedBefore;
        Assert.True(taken > 1, $"the second burst took {taken} stem cell(s); stats {Cells.Stats(StemCellFamily.Python)}");
        Assert.Equal(Burst, taken + missed);
    }

    private static string BurstyApp(string service) => TestApp.Create($$"""
        service: {{service}}
        provider:
          name: aws
          runtime: python3.11
          timeout: 20
        functions:
          slow:
            handler: app.main
            events:
              - httpApi: 'GET /slow'
        """,
        ("app.py", "import time\ndef main(event, context):\n    time.sleep(2)\n    return {'ok': True}\n"));
}
