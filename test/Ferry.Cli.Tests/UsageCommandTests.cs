using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;
using Ferry.Server.Metering;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry usage</c> against a stub server: the query it sends and the table it prints.</summary>
public sealed class UsageCommandTests : IDisposable
{
    private static readonly DateTimeOffset May = new(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();

    private static UsageAmount Amount(long invocations, long billedMs, decimal gbSeconds, decimal requestCost, decimal computeCost)
        => new(invocations, billedMs, gbSeconds, requestCost, computeCost, requestCost + computeCost);

    private static UsageReport SampleReport()
    {
        var api = Amount(1500, 30_000, 15m, 0.0003m, 0.000250000500m);
        var jobs = Amount(2, 20_000, 40.0009765625m, 0.0000004m, 0.000666682275m);
        return new UsageReport("acme", May, May.AddMonths(1), PriceTable.Default,
            Amount(1502, 50_000, 55.0009765625m, 0.0003004m, 0.000916682775m),
            [new AppStageUsageInfo("hello", "dev", "local", api), new AppStageUsageInfo("batch", "prod", "local", jobs)],
            [new FunctionUsageInfo("hello", "dev", "local", "api", api), new FunctionUsageInfo("batch", "prod", "local", "nightly", jobs)]);
    }

    [Fact]
    public async Task Without_a_period_the_server_picks_the_current_month()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        var exitCode = await _cli.RunAsync("usage");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/usage", Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task The_period_is_sent_as_utc_iso_times_and_durations_count_back_from_now_with_the_tenant()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        await _cli.RunAsync("usage", "--from", "2024-04-01T00:00:00+02:00", "--to", "1d", "--tenant", "acme corp");

        // The test clock stands at 2024-05-01T12:00:00Z.
        Assert.Equal("/api/v1/usage?from=2024-03-31T22%3A00%3A00.0000000%2B00%3A00&to=2024-04-30T12%3A00%3A00.0000000%2B00%3A00&tenant=acme%20corp",
            Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task The_text_output_has_apps_functions_and_totals_with_the_price_table()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        await _cli.RunAsync("usage");

        Assert.Contains("Usage of tenant acme from 2024-05-01 00:00 UTC to 2024-06-01 00:00 UTC", Out);
        Assert.Contains("Prices: 0.20 USD per 1M requests, 0.0000166667 USD per GB-second", Out);
        Assert.Matches(@"SERVICE\s+STAGE\s+REGION\s+INVOCATIONS\s+GB-SECONDS\s+COST \(USD\)", Out);
        Assert.Matches(@"hello\s+dev\s+local\s+1,500\s+15\.000000\s+0\.000550", Out);
        Assert.Matches(@"batch\s+prod\s+local\s+nightly\s+2\s+20\.0 s\s+40\.000977\s+0\.000667", Out);
        Assert.Contains("Total: 1,502 invocations, 55.000977 GB-seconds, 0.001217 USD (requests 0.000300, compute 0.000917)", Out);
    }

    [Fact]
    public async Task Json_output_keeps_the_exact_decimals()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        await _cli.RunAsync("usage", "--output", "json");

        var report = JsonSerializer.Deserialize<UsageReport>(Out, ApiJson.Options)!;
        Assert.Equal(55.0009765625m, report.Total.GbSeconds);
        Assert.Equal(0.0000166667m, report.Prices.PerGbSecond);
        Assert.Equal(["api", "nightly"], report.Functions.Select(f => f.Function));
    }

    [Fact]
    public async Task A_period_without_invocations_says_so()
    {
        var empty = new UsageReport("acme", May, May.AddMonths(1), PriceTable.Default, Amount(0, 0, 0, 0, 0), [], []);
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, empty));

        await _cli.RunAsync("usage");

        Assert.Contains("No invocations in this period.", Out);
        Assert.DoesNotContain("Functions", Out);
    }

    [Fact]
    public async Task An_invalid_time_is_a_usage_error_before_any_request()
    {
        var exitCode = await _cli.RunAsync("usage", "--from", "last tuesday");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("'last tuesday' is not a valid --from value", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }
}
