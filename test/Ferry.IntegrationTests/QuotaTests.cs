using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Api;
using Ferry.Server.Metering;
using Ferry.Server.Quotas;
using Ferry.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>Per-tenant quotas (instances, memory, storage, log volume, outbound network) and retention, on a real server.</summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    // Storage scans and retention run when the tests call them (besides the runs at start).
    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with
    {
        StorageScanInterval = TimeSpan.FromDays(1),
        RetentionInterval = TimeSpan.FromDays(1),
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string TwoFunctions = """
        service: quotaed
        provider:
          name: aws
          runtime: python3.11
        functions:
          first:
            handler: app.handler
            events:
              - httpApi: 'GET /first'
          second:
            handler: app.handler
            events:
              - httpApi: 'GET /second'
        """;

    private const string Handler = "def handler(event, context):\n    return {'ok': True}\n";

    private async Task<string> CreateTenantAsync(string tenant)
    {
        var created = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", tenant);
        Assert.True(created.ExitCode == 0, created.ToString());
        var token = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root,
            "token", "create", "--tenant", tenant, "--name", "ci", "--role", "consumer", "--output", "json");
        Assert.True(token.ExitCode == 0, token.ToString());
        return JsonSerializer.Deserialize<CreatedToken>(token.Stdout, ApiJson.Options)!.Token;
    }

    private async Task SetQuotaAsync(string tenant, params string[] values)
    {
        var set = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, ["tenant", "quota", "set", tenant, .. values]);
        Assert.True(set.ExitCode == 0, set.ToString());
    }

    [Fact]
    public async Task A_request_needing_an_instance_beyond_the_tenant_quota_gets_429_naming_the_quota_and_the_cli_exits_1()
    {
        var consumer = await CreateTenantAsync("acme");
        await SetQuotaAsync("acme", "--instances", "1");
        var app = TestApp.Create(TwoFunctions, ("app.py", Handler));
        var deploy = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        // The first function's instance is the tenant's only one; it stays warm for the idle timeout.
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/quotaed/dev/first")).StatusCode);
        var refused = await _server.Http.GetAsync("/quotaed/dev/second");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("quota_exceeded", body.GetProperty("code").GetString());
        Assert.Equal("instances", body.GetProperty("quota").GetString());
        Assert.Equal(1, body.GetProperty("limit").GetInt32());
        Assert.Equal(1, body.GetProperty("used").GetInt32());
        Assert.Contains("ferry tenant quota set acme --instances", body.GetProperty("message").GetString());

        var invoke = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "invoke", "-f", "second");
        Assert.Equal(1, invoke.ExitCode);
        Assert.Contains("instances quota (1 of 1 instances running)", invoke.Stderr);

        var show = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "quota", "show", "acme", "--output", "json");
        Assert.True(show.ExitCode == 0, show.ToString());
        var info = JsonSerializer.Deserialize<TenantQuotaInfo>(show.Stdout, ApiJson.Options)!;
        Assert.Equal(new QuotaLine("instances", "instances", 1, 1, IsDefault: false), info.Quotas.Single(q => q.Name == "instances"));
        Assert.True(info.Quotas.Single(q => q.Name == "memory").IsDefault);

        // Consumers may not change their own quota.
        var selfService = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, Repo.Root, "tenant", "quota", "set", "acme", "--instances", "50");
        Assert.Equal(1, selfService.ExitCode);
        Assert.NotEmpty(selfService.Stderr);
    }

    [Fact]
    public async Task Deploys_asking_for_more_warm_instances_than_the_quota_or_the_per_function_cap_are_refused_naming_the_field()
    {
        var consumer = await CreateTenantAsync("acme");
        await SetQuotaAsync("acme", "--instances", "2");
        var overQuota = TestApp.Create(TwoFunctions.Replace("handler: app.handler\n    events:\n      - httpApi: 'GET /first'",
            "handler: app.handler\n    minInstances: 3\n    maxInstances: 3\n    events:\n      - httpApi: 'GET /first'", StringComparison.Ordinal), ("app.py", Handler));
        var refused = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, overQuota, "deploy");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("functions.first.minInstances (3)", refused.Stderr);
        Assert.Contains("instances quota of 2", refused.Stderr);
        Assert.Null(await _server.Services.GetRequiredService<IFerryStore>().FindAppStageAsync("acme", "quotaed", "dev", "local", CancellationToken.None));

        var overCap = TestApp.Create(TwoFunctions.Replace("handler: app.handler\n    events:\n      - httpApi: 'GET /first'",
            "handler: app.handler\n    minInstances: 30\n    events:\n      - httpApi: 'GET /first'", StringComparison.Ordinal), ("app.py", Handler));
        await SetQuotaAsync("acme", "--instances", "100");
        var capped = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, overCap, "deploy");

        Assert.Equal(1, capped.ExitCode);
        Assert.Contains("functions.first.minInstances is 30", capped.Stderr);
        Assert.Contains("at most 10 instances", capped.Stderr);
        Assert.Contains("maxInstances: 30", capped.Stderr);
    }

    [Fact]
    public async Task Outbound_network_is_refused_at_deploy_unless_an_admin_allows_it_for_the_tenant()
    {
        var consumer = await CreateTenantAsync("acme");
        var app = TestApp.Create(TwoFunctions.Replace("      - httpApi: 'GET /second'", "      - httpApi: 'GET /second'\n    outboundNetwork: true", StringComparison.Ordinal),
            ("app.py", Handler));

        var refused = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "deploy");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("functions.second.outboundNetwork", refused.Stderr);
        Assert.Contains("ask an admin: ferry tenant quota set acme --allow-outbound-network true", refused.Stderr);

        await SetQuotaAsync("acme", "--allow-outbound-network", "true");
        var allowed = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "deploy");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
    }

    [Fact]
    public async Task Log_lines_past_the_daily_log_quota_are_dropped_after_one_marker_line()
    {
        var consumer = await CreateTenantAsync("acme");
        await SetQuotaAsync("acme", "--log-mb", "1");
        var app = TestApp.Create("""
            service: chatty
            provider:
              name: aws
              runtime: python3.11
            functions:
              talk:
                handler: app.handler
                events:
                  - httpApi: 'GET /talk'
            """, ("app.py", "def handler(event, context):\n    for i in range(300):\n        print(f'line {i} ' + 'x' * 5000, flush=True)\n    return {'ok': True}\n"));
        var deploy = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/chatty/dev/talk")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/chatty/dev/talk")).StatusCode);
        await _server.Services.GetRequiredService<LogPipeline>().FlushAsync(CancellationToken.None);

        using var asConsumer = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        asConsumer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", consumer);
        var logs = (await asConsumer.GetFromJsonAsync<LogLine[]>("/api/v1/apps/chatty/dev/logs?limit=5000", ApiJson.Options))!;
        var markers = logs.Where(l => l.Message.StartsWith("log quota exceeded (1 MB/day)", StringComparison.Ordinal)).ToList();
        Assert.Single(markers);
        Assert.Contains(logs, l => l.Message.StartsWith("line 0 ", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Message.StartsWith("line 299 ", StringComparison.Ordinal));
        Assert.True(logs.Where(l => l.Stream != "platform").Sum(l => (long)Encoding.UTF8.GetByteCount(l.Message)) <= 1024 * 1024);
        // Nothing the function printed after the marker was stored; Ferry's own lines (END, REPORT) do not count.
        Assert.DoesNotContain(logs, l => l.Id > markers[0].Id && l.Stream != "platform");
        Assert.Contains(logs, l => l.Id > markers[0].Id && l.Message.StartsWith("REPORT RequestId: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tenant_over_its_storage_quota_gets_507_for_new_instances_once_storage_is_measured()
    {
        var consumer = await CreateTenantAsync("acme");
        var app = TestApp.Create(TwoFunctions, ("app.py", Handler));
        var deploy = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        await SetQuotaAsync("acme", "--storage-mb", "1");
        // What a function writing into its database folder leaves behind: 2 MB in the tenant's folder.
        var databaseFolder = Directory.CreateDirectory(Path.Combine(_server.DataDirectory, "databases", "acme", "quotaed", "dev@local"));
        await File.WriteAllBytesAsync(Path.Combine(databaseFolder.FullName, "main.db"), new byte[2 * 1024 * 1024]);

        var measured = await _server.Services.GetRequiredService<TenantStorageMeter>().ScanAsync(CancellationToken.None);
        Assert.True(measured["acme"] >= 2 * 1024 * 1024);

        var refused = await _server.Http.GetAsync("/quotaed/dev/first");
        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("quota_exceeded", "storage", 1), (body.GetProperty("code").GetString(), body.GetProperty("quota").GetString(), body.GetProperty("limit").GetInt32()));
        Assert.NotNull(_server.Services.GetRequiredService<TenantQuotas>().RefuseBucketWrite("acme"));

        // Raising the quota lets the tenant run again.
        await SetQuotaAsync("acme", "--storage-mb", "100");
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/quotaed/dev/first")).StatusCode);
    }

    [Fact]
    public async Task Retention_deletes_old_logs_and_invocation_records_while_usage_stays_exact()
    {
        var app = TestApp.Create(TwoFunctions, ("app.py", Handler));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/quotaed/dev/first")).StatusCode);
        await _server.Services.GetRequiredService<LogPipeline>().FlushAsync(CancellationToken.None);

        var store = _server.Services.GetRequiredService<IFerryStore>();
        var appStage = (await store.FindAppStageAsync("default", "quotaed", "dev", "local", CancellationToken.None))!;
        var old = DateTimeOffset.UtcNow.AddDays(-10);
        await store.RecordInvocationsAsync([.. Enumerable.Range(0, 40).Select(i => new InvocationRecord(
            $"old-{i}", "default", appStage.Id, appStage.ActiveRevisionId!.Value, i % 2 == 0 ? "first" : "second", old.AddMinutes(7 * i),
            5 + i, 6 + i, 128 * (1 + i % 4), null, InvocationStatus.Success, false, null))], CancellationToken.None);
        await store.AppendLogsAsync([.. Enumerable.Range(0, 30).Select(i => new NewLogEntry(
            appStage.Id, appStage.ActiveRevisionId!.Value, "first", null, "old-instance", old.AddMinutes(i), LogStream.Stdout, $"old line {i}"))], CancellationToken.None);
        // Invocations are recorded off the request path: wait for the live one.
        for (var attempt = 0; attempt < 100 && (await store.QueryInvocationsAsync(appStage.Id, null, DateTimeOffset.MinValue, 1000, CancellationToken.None)).Count < 41; attempt++)
        {
            await Task.Delay(100);
        }

        var from = new DateTimeOffset(old.Year, old.Month, old.Day, 0, 0, 0, TimeSpan.Zero);
        var to = DateTimeOffset.UtcNow.Date.AddDays(1);
        var usagePath = $"/api/v1/usage?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(new DateTimeOffset(to, TimeSpan.Zero).ToString("O"))}";
        var before = (await _server.Http.GetFromJsonAsync<UsageReport>(usagePath, ApiJson.Options))!;
        Assert.Equal(41, before.Total.Invocations);

        await _server.Services.GetRequiredService<RetentionService>().RunOnceAsync(CancellationToken.None);

        var after = (await _server.Http.GetFromJsonAsync<UsageReport>(usagePath, ApiJson.Options))!;
        Assert.Equal(before.Total, after.Total);
        Assert.Equal(before.Functions, after.Functions);
        var remaining = await store.QueryInvocationsAsync(appStage.Id, null, DateTimeOffset.MinValue, 1000, CancellationToken.None);
        Assert.Single(remaining);
        var logs = (await _server.Http.GetFromJsonAsync<LogLine[]>("/api/v1/apps/quotaed/dev/logs?limit=5000", ApiJson.Options))!;
        Assert.DoesNotContain(logs, l => l.Message.StartsWith("old line", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Message.StartsWith("START", StringComparison.Ordinal));
    }
}
