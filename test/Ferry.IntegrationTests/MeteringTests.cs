using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Server.Metering;
using Ferry.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// Metering end to end: invocations through the real gateway are recorded, and usage, error statistics and the
/// Prometheus counters all agree exactly with the stored records.
/// </summary>
public sealed class MeteringTests : IAsyncLifetime
{
    private const string MeteredYml = """
        service: metered
        provider:
          name: aws
          runtime: nodejs20.x
          memorySize: 256
        functions:
          work:
            handler: handler.work
            events:
              - httpApi: 'GET /work'
          big:
            handler: handler.work
            memorySize: 1536
            events:
              - httpApi: 'GET /big'
          idle:
            handler: handler.work
            events:
              - httpApi: 'GET /idle'
        """;

    private const string MeteredJs = """
        exports.work = async (event) => {
          const q = event.queryStringParameters || {};
          if (q.fail === '1') throw new Error('requested failure');
          if (q.fail === '2') throw new RangeError('out of range ' + q.n);
          return { ok: true, traceparent: event.headers?.traceparent ?? null };
        };
        """;

    private const string EchoYml = """
        service: echo
        provider:
          name: ferry
        functions:
          site:
            runtime: web
            command: node server.js
            events:
              - httpApi: '*'
        """;

    private const string EchoJs = """
        require('node:http').createServer((req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ traceparent: req.headers.traceparent ?? null }));
        }).listen(Number(process.env.PORT), '127.0.0.1');
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IFerryStore Store => _server.Services.GetRequiredService<IFerryStore>();

    [Fact]
    public async Task Usage_equals_what_the_store_recorded_to_the_last_decimal()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var app = await DeployMeteredAsync();
        await CallAsync("/metered/dev/work", times: 4);
        await CallAsync("/metered/dev/work?fail=1", times: 2, HttpStatusCode.InternalServerError);
        await CallAsync("/metered/dev/big", times: 3);
        var records = await WaitForRecordsAsync(app, 9);
        var end = DateTimeOffset.UtcNow.AddHours(1);

        var usage = await _server.Http.GetFromJsonAsync<UsageReport>(
            $"/api/v1/usage?from={Uri.EscapeDataString(start.ToString("O"))}&to={Uri.EscapeDataString(end.ToString("O"))}", ApiJson.Options);

        Assert.NotNull(usage);
        Assert.Equal(PriceTable.Default, usage.Prices);
        Assert.Equal(app.Tenant, usage.Tenant);
        Assert.Equal(Expected(records), usage.Total);
        Assert.Equal(
            [("big", Expected(records.Where(r => r.Function == "big"))), ("work", Expected(records.Where(r => r.Function == "work")))],
            usage.Functions.Select(f => (f.Function, f.Usage)));
        var stage = Assert.Single(usage.AppStages);
        Assert.Equal(("metered", "dev", "local"), (stage.Service, stage.Stage, stage.Region));
        Assert.Equal(usage.Total, stage.Usage);
        Assert.Equal([256, 1536], records.Select(r => r.MemorySizeMb).Distinct().Order());
    }

    [Fact]
    public async Task Usage_defaults_to_the_current_month_and_rejects_a_reversed_period()
    {
        var usage = await _server.Http.GetFromJsonAsync<UsageReport>("/api/v1/usage", ApiJson.Options);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero), usage!.From);
        Assert.Equal(usage.From.AddMonths(1), usage.To);
        Assert.Equal(0, usage.Total.Invocations);

        var reversed = await _server.Http.GetAsync("/api/v1/usage?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.BadRequest, reversed.StatusCode);
        var garbage = await _server.Http.GetAsync("/api/v1/usage?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        var error = await garbage.Content.ReadFromJsonAsync<ApiError>(ApiJson.Options);
        Assert.StartsWith("'from' must be an ISO 8601 time", error!.Error.Message);
    }

    [Fact]
    public async Task Tenants_see_their_own_usage_and_only_admins_see_other_tenants()
    {
        var admin = await _server.Http.GetFromJsonAsync<WhoAmI>("/api/v1/whoami", ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, (await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest("other"), ApiJson.Options)).StatusCode);
        var created = await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest("other", "ci", ["consumer"]), ApiJson.Options);
        var token = (await created.Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options))!.Token;
        using var other = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        Assert.Equal("other", (await other.GetFromJsonAsync<UsageReport>("/api/v1/usage", ApiJson.Options))!.Tenant);
        var forbidden = await other.GetAsync($"/api/v1/usage?tenant={admin!.Tenant}");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("other", (await _server.Http.GetFromJsonAsync<UsageReport>("/api/v1/usage?tenant=other", ApiJson.Options))!.Tenant);
    }

    [Fact]
    public async Task Prices_come_from_pricing_json_in_the_data_folder()
    {
        var data = TempDirectory.Create("ferry-data");
        await File.WriteAllTextAsync(Path.Combine(data, "pricing.json"), """{ "currency": "EUR", "perGbSecond": 0.00001 }""");
        await using var server = await FerryTestServer.StartAsync(dataDirectory: data);

        var usage = await server.Http.GetFromJsonAsync<UsageReport>("/api/v1/usage", ApiJson.Options);

        Assert.Equal(new PriceTable { Currency = "EUR", PerMillionRequests = 0.20m, PerGbSecond = 0.00001m }, usage!.Prices);
    }

    [Fact]
    public async Task A_broken_pricing_json_stops_the_server_with_the_files_path()
    {
        var data = TempDirectory.Create("ferry-data");
        var path = Path.Combine(data, "pricing.json");
        await File.WriteAllTextAsync(path, """{ "currency": "USD", "perGbSecond": -1 }""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FerryTestServer.StartAsync(dataDirectory: data));

        Assert.Contains(path, error.Message);
        Assert.Contains("cannot be negative", error.Message);
        // The databases folder a root server mounts noexec at start is released when the start fails (it used to stay
        // mounted after the process, one mount per failed start).
        var databases = Path.GetFullPath(Path.Combine(data, "databases"));
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), line => line.Split(' ')[4] == databases);
    }

    [Fact]
    public async Task Errors_are_grouped_by_function_and_message_with_per_function_statistics()
    {
        var app = await DeployMeteredAsync();
        await CallAsync("/metered/dev/work", times: 3);
        await CallAsync("/metered/dev/work?fail=1", times: 3, HttpStatusCode.InternalServerError);
        await CallAsync("/metered/dev/work?fail=2&n=7", times: 1, HttpStatusCode.InternalServerError);
        await CallAsync("/metered/dev/big?fail=1", times: 1, HttpStatusCode.InternalServerError);
        var records = await WaitForRecordsAsync(app, 8);

        var report = await _server.Http.GetFromJsonAsync<ErrorReport>("/api/v1/apps/metered/dev/errors", ApiJson.Options);

        Assert.NotNull(report);
        Assert.Equal(
        [
            ("work", InvocationStatus.Error, "Error: requested failure", 3L),
            ("big", InvocationStatus.Error, "Error: requested failure", 1L),
            ("work", InvocationStatus.Error, "RangeError: out of range 7", 1L),
        ], report.Errors.Select(e => (e.Function, e.Status, e.Error, e.Count)).OrderByDescending(e => e.Item4).ThenBy(e => e.Item3).ThenBy(e => e.Function));
        Assert.Equal(3, report.Errors[0].Count);
        var lastWorkFailure = records.Where(r => r is { Function: "work", Error: "Error: requested failure" }).MaxBy(r => r.Start)!;
        Assert.Equal(lastWorkFailure.Start, report.Errors[0].LastSeen);

        Assert.Equal(["big", "idle", "work"], report.Functions.Select(f => f.Function));
        var work = records.Where(r => r.Function == "work").ToList();
        var durations = work.Select(r => r.DurationMs).Order().ToList();
        Assert.Equal(
            new FunctionStatsInfo("work", 7, 4, 4 / 7.0, work.Count(r => r.ColdStart),
                durations[(int)Math.Ceiling(7 * 0.50) - 1], durations[(int)Math.Ceiling(7 * 0.95) - 1], durations[^1]),
            report.Functions[2]);
        Assert.Equal(new FunctionStatsInfo("idle", 0, 0, 0, 0, null, null, null), report.Functions[1]);
        Assert.Equal((1L, 1L, 1.0), (report.Functions[0].Invocations, report.Functions[0].Errors, report.Functions[0].ErrorRate));

        var later = await _server.Http.GetFromJsonAsync<ErrorReport>(
            $"/api/v1/apps/metered/dev/errors?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}", ApiJson.Options);
        Assert.Empty(later!.Errors);
        Assert.All(later.Functions, f => Assert.Equal(0, f.Invocations));
    }

    [Fact]
    public async Task Errors_of_an_unknown_app_are_404()
    {
        var response = await _server.Http.GetAsync("/api/v1/apps/nope/dev/errors");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_metrics_endpoint_counts_what_the_store_recorded()
    {
        var app = await DeployMeteredAsync();
        await CallAsync("/metered/dev/work", times: 5);
        await CallAsync("/metered/dev/work?fail=1", times: 2, HttpStatusCode.InternalServerError);
        var records = await WaitForRecordsAsync(app, 7);

        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode); // operators only
        var response = await _server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();

        const string work = "service=\"metered\",stage=\"dev\",region=\"local\",function=\"work\"";
        Assert.Equal(5, Sample(text, $"ferry_invocations_total{{{work},status=\"success\"}}"));
        Assert.Equal(2, Sample(text, $"ferry_invocations_total{{{work},status=\"error\"}}"));
        Assert.Equal(records.Count(r => r.ColdStart), Sample(text, $"ferry_cold_starts_total{{{work}}}"));
        Assert.Equal(7, Sample(text, $"ferry_invocation_duration_seconds_count{{{work}}}"));
        // Same durations summed in another order: equal up to floating-point rounding, not to a fixed number of decimals.
        Assert.Equal(records.Sum(r => r.DurationMs) / 1000, Sample(text, $"ferry_invocation_duration_seconds_sum{{{work}}}"), tolerance: 1e-9);

        var pool = _server.Services.GetRequiredService<LiveApps>().Get("metered", "dev", "local")!.Deployed.Pools["work"];
        Assert.Equal(pool.InstanceCount, Sample(text, $"ferry_instances{{{work}}}"));
        Assert.Equal(0, Sample(text, $"ferry_queue_length{{{work}}}"));
        Assert.Equal(0, Sample(text, "ferry_instances{service=\"metered\",stage=\"dev\",region=\"local\",function=\"idle\"}"));
        Assert.Matches("(?m)^http_requests_received_total\\{.*\\} [0-9]", text);
    }

    [Fact]
    public async Task Removed_apps_lose_their_gauges()
    {
        await DeployMeteredAsync();
        Assert.Contains("ferry_instances{service=\"metered\"", await _server.Http.GetStringAsync("/metrics"));

        var remove = await _server.Http.DeleteAsync("/api/v1/apps/metered/dev");
        Assert.Equal(HttpStatusCode.OK, remove.StatusCode);

        Assert.DoesNotContain("ferry_instances{service=\"metered\"", await _server.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task An_incoming_traceparent_reaches_web_and_event_functions_unchanged()
    {
        await DeployMeteredAsync();
        var echo = await FerryCli.RunAsync(_server.BaseUrl, TestApp.Create(EchoYml, ("server.js", EchoJs)), "deploy");
        Assert.True(echo.ExitCode == 0, echo.ToString());
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        foreach (var path in new[] { "/echo/dev/anything", "/metered/dev/work" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
            using var response = await _server.Http.SendAsync(request);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {response.StatusCode} {body}");
            Assert.Equal(traceparent, body.GetProperty("traceparent").GetString());
        }
    }

    private async Task<AppStage> DeployMeteredAsync()
    {
        var result = await FerryCli.RunAsync(_server.BaseUrl, TestApp.Create(MeteredYml, ("handler.js", MeteredJs)), "deploy");
        Assert.True(result.ExitCode == 0, result.ToString());
        var stages = await Store.ListAppStagesAsync(null, CancellationToken.None);
        return stages.Single(s => s.Service == "metered");
    }

    private async Task CallAsync(string path, int times, HttpStatusCode expected = HttpStatusCode.OK)
    {
        for (var i = 0; i < times; i++)
        {
            using var response = await _server.Http.GetAsync(path);
            Assert.Equal(expected, response.StatusCode);
        }
    }

    /// <summary>Invocations are recorded off the request path; waits until all of them are in the store.</summary>
    private async Task<IReadOnlyList<InvocationRecord>> WaitForRecordsAsync(AppStage app, int count)
    {
        IReadOnlyList<InvocationRecord> records = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            records = await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.UnixEpoch, 10_000, CancellationToken.None);
            if (records.Count >= count)
            {
                Assert.Equal(count, records.Count);
                return records;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"expected {count} invocation records, found {records.Count}");
        return records;
    }

    /// <summary>The usage the report must show for <paramref name="records"/>, recomputed independently from the definition.</summary>
    private static UsageAmount Expected(IEnumerable<InvocationRecord> records)
    {
        var list = records.ToList();
        var gbSeconds = list.Sum(r => r.BilledDurationMs / 1000m * (r.MemorySizeMb / 1024m));
        var requestCost = list.Count * 0.20m / 1_000_000m;
        var computeCost = gbSeconds * 0.0000166667m;
        return new UsageAmount(list.Count, list.Sum(r => r.BilledDurationMs), gbSeconds, requestCost, computeCost, requestCost + computeCost);
    }

    /// <summary>The value of one sample line of the Prometheus text format, e.g. <c>name{labels} 3</c>.</summary>
    private static double Sample(string exposition, string series)
    {
        var match = Regex.Match(exposition, "(?m)^" + Regex.Escape(series) + " (\\S+)$");
        Assert.True(match.Success, $"no sample {series} in:\n{exposition}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
