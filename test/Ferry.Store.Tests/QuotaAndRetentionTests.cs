namespace Ferry.Store.Tests;

public abstract class QuotaAndRetentionTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static InvocationRecord Call(AppStage app, Revision revision, string function, DateTimeOffset start, long billedMs, int memoryMb) =>
        new($"req-{function}-{start.ToUnixTimeMilliseconds()}", app.Tenant, app.Id, revision.Id, function, start, billedMs - 0.5, billedMs, memoryMb,
            null, InvocationStatus.Success, false, null);

    [Fact]
    public async Task A_tenant_without_quota_values_reads_all_unset_and_set_values_round_trip()
    {
        Assert.Equal(TenantQuota.Unset, await Store.GetTenantQuotaAsync("acme", None));

        var quota = new TenantQuota(MaxInstances: 3, MaxMemoryMb: 512, MaxStorageMb: 5_000_000, MaxLogMbPerDay: 20, AllowOutboundNetwork: true);
        await Store.SetTenantQuotaAsync("acme", quota, None);
        await Store.SetTenantQuotaAsync("other", new TenantQuota(MaxInstances: 1), None);

        Assert.Equal(quota, await Store.GetTenantQuotaAsync("acme", None));
        var all = await Store.ListTenantQuotasAsync(None);
        Assert.Equal(["acme", "other"], all.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new TenantQuota(MaxInstances: 1), all["other"]);

        // Setting again replaces every value: a null goes back to the server's default.
        await Store.SetTenantQuotaAsync("acme", quota with { MaxMemoryMb = null, AllowOutboundNetwork = false }, None);
        Assert.Equal(quota with { MaxMemoryMb = null, AllowOutboundNetwork = false }, await Store.GetTenantQuotaAsync("acme", None));
    }

    [Fact]
    public async Task Retention_deletes_old_logs_and_invocations_but_usage_of_every_whole_hour_period_is_unchanged()
    {
        var (app, revision) = await DeployAsync();
        var (gone, goneRevision) = await DeployAsync(service: "gone");
        var old = T0.AddDays(-10);
        var recent = T0.AddHours(-1);
        List<InvocationRecord> calls = [];
        for (var i = 0; i < 25; i++)
        {
            // Spread over several hours and two functions, with varying memory: rollups must keep exact sums.
            calls.Add(Call(app, revision, i % 2 == 0 ? "create" : "list", old.AddMinutes(17 * i), 10 + i, 128 * (1 + i % 3)));
        }

        calls.Add(Call(app, revision, "create", recent, 7, 256));
        calls.Add(Call(gone, goneRevision, "create", old.AddMinutes(5), 1000, 1024));
        await Store.RecordInvocationsAsync(calls, None);
        await Store.AppendLogsAsync(
        [
            Log(app.Id, revision.Id, "old line 1") with { Time = old },
            Log(app.Id, revision.Id, "old line 2") with { Time = old.AddHours(3) },
            Log(app.Id, revision.Id, "recent line") with { Time = recent },
        ], None);
        // A removed app's usage rows age out as well.
        await Store.DeleteAppStageAsync(gone.Id, None);

        var periods = new[] { (old.AddDays(-1), T0.AddDays(1)), (old.AddHours(-1), old.AddHours(3)), (old.AddHours(2), T0) };
        var before = new List<IReadOnlyList<FunctionUsage>>();
        foreach (var (from, to) in periods)
        {
            before.Add(await Store.QueryUsageAsync("acme", AlignToHour(from), AlignToHour(to), None));
        }

        var cutoff = T0.AddDays(-7);
        var removed = new List<RetentionBatch>();
        for (var batch = await Store.DeleteExpiredAsync(cutoff, 4, None); batch.Total > 0; batch = await Store.DeleteExpiredAsync(cutoff, 4, None))
        {
            removed.Add(batch);
        }

        Assert.Equal(25, removed.Sum(b => b.InvocationsRolledUp));
        Assert.Equal(1, removed.Sum(b => b.RemovedAppUsageRolledUp));
        Assert.Equal(2, removed.Sum(b => b.LogsDeleted));
        Assert.All(removed, b => Assert.True(b.InvocationsRolledUp <= 4 && b.LogsDeleted <= 4));

        // The raw rows are gone; what is younger than the cutoff stays.
        var remaining = await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 100, None);
        Assert.Equal([recent], remaining.Select(r => r.Start));
        var logs = await Store.QueryLogsAsync(new LogQuery(app.Id), None);
        Assert.Equal(["recent line"], logs.Select(l => l.Message));

        for (var i = 0; i < periods.Length; i++)
        {
            var (from, to) = periods[i];
            Assert.Equal(before[i], await Store.QueryUsageAsync("acme", AlignToHour(from), AlignToHour(to), None));
        }

        Assert.Contains(before[0], u => u.Service == "gone" && u.Invocations == 1 && u.MemoryMbMilliseconds == 1000 * 1024);
        Assert.Equal(26, before[0].Where(u => u.Service == "orders").Sum(u => u.Invocations));
    }

    [Fact]
    public async Task Retention_run_twice_over_the_same_hour_adds_to_its_rollup()
    {
        var (app, revision) = await DeployAsync();
        var hour = AlignToHour(T0.AddDays(-9));
        await Store.RecordInvocationsAsync([Call(app, revision, "create", hour.AddMinutes(1), 10, 128)], None);
        await Store.DeleteExpiredAsync(T0.AddDays(-7), 100, None);
        await Store.RecordInvocationsAsync([Call(app, revision, "create", hour.AddMinutes(2), 20, 256)], None);
        await Store.DeleteExpiredAsync(T0.AddDays(-7), 100, None);

        var usage = Assert.Single(await Store.QueryUsageAsync("acme", hour, hour.AddHours(1), None));

        Assert.Equal((2L, 30L, 10L * 128 + 20L * 256), (usage.Invocations, usage.BilledDurationMs, usage.MemoryMbMilliseconds));
        Assert.Empty(await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 100, None));
    }

    private static DateTimeOffset AlignToHour(DateTimeOffset time) =>
        new(time.Year, time.Month, time.Day, time.Hour, 0, 0, TimeSpan.Zero);
}

public sealed class SqliteQuotaAndRetentionTests : QuotaAndRetentionTests<SqliteBackend>;

public sealed class PostgresQuotaAndRetentionTests : QuotaAndRetentionTests<PostgresBackend>;
