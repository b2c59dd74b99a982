namespace Ferry.Store.Tests;

public abstract class MeteringQueryTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static InvocationRecord Call(AppStage app, Revision revision, string function, int second, double durationMs,
        long billedMs, int memoryMb, InvocationStatus status = InvocationStatus.Success, string? error = null, bool coldStart = false) =>
        new($"req-{function}-{second}", app.Tenant, app.Id, revision.Id, function, T0.AddSeconds(second), durationMs, billedMs, memoryMb,
            null, status, coldStart, error);

    [Fact]
    public async Task Usage_sums_invocations_and_memory_weighted_billed_time_per_function()
    {
        var (app, revision) = await DeployAsync();
        await Store.RecordInvocationsAsync(
        [
            Call(app, revision, "create", 0, 10.2, 11, 128),
            Call(app, revision, "create", 1, 0.4, 1, 128),
            // The memory size may differ between revisions of one function: each invocation counts with its own.
            Call(app, revision, "create", 2, 99.9, 100, 1024, InvocationStatus.Error, "boom"),
            Call(app, revision, "list", 3, 3000, 3000, 256),
        ], None);

        var usage = await Store.QueryUsageAsync("acme", T0, T0.AddHours(1), None);

        Assert.Equal(
        [
            new FunctionUsage("acme", app.Id, "orders", "dev", "local", "create", 3, 112, 11 * 128 + 1 * 128 + 100 * 1024),
            new FunctionUsage("acme", app.Id, "orders", "dev", "local", "list", 1, 3000, 3000 * 256),
        ], usage);
    }

    [Fact]
    public async Task Usage_of_a_period_is_unchanged_when_an_app_stage_is_removed()
    {
        var (removed, removedRevision) = await DeployAsync(service: "orders");
        var (kept, keptRevision) = await DeployAsync(service: "billing");
        await Store.RecordInvocationsAsync(
        [
            Call(removed, removedRevision, "create", 0, 10.2, 11, 128),
            Call(removed, removedRevision, "create", 5, 99.9, 100, 1024, InvocationStatus.Error, "boom"),
            Call(removed, removedRevision, "list", 10, 3000, 3000, 256),
            Call(kept, keptRevision, "create", 20, 5, 5, 128),
        ], None);
        var before = await Store.QueryUsageAsync("acme", T0, T0.AddHours(1), None);

        Assert.True(await Store.DeleteAppStageAsync(removed.Id, None));

        Assert.Equal(before, await Store.QueryUsageAsync("acme", T0, T0.AddHours(1), None));
        Assert.Equal(before, await Store.QueryUsageAsync(null, T0, T0.AddHours(1), None));
        Assert.Equal(
            [("orders", "create", 2L, 111L), ("orders", "list", 1L, 3000L)],
            (await Store.QueryUsageAsync("acme", T0, T0.AddSeconds(15), None)).Select(u => (u.Service, u.Function, u.Invocations, u.BilledDurationMs)));
        Assert.Empty(await Store.QueryUsageAsync("other", T0, T0.AddHours(1), None));
        Assert.Empty(await Store.QueryInvocationsAsync(removed.Id, null, DateTimeOffset.MinValue, 100, None));
    }

    [Fact]
    public async Task A_removed_and_redeployed_app_stage_keeps_its_old_usage_and_counts_the_new()
    {
        var (first, firstRevision) = await DeployAsync();
        await Store.RecordInvocationsAsync([Call(first, firstRevision, "create", 0, 5, 5, 128)], None);
        await Store.DeleteAppStageAsync(first.Id, None);
        var (second, secondRevision) = await DeployAsync();
        await Store.RecordInvocationsAsync([Call(second, secondRevision, "create", 1, 7, 7, 128)], None);

        var usage = await Store.QueryUsageAsync("acme", T0, T0.AddHours(1), None);

        Assert.Equal(2, usage.Sum(u => u.Invocations));
        Assert.Equal(12, usage.Sum(u => u.BilledDurationMs));
        Assert.All(usage, u => Assert.Equal(("orders", "dev", "local", "create"), (u.Service, u.Stage, u.Region, u.Function)));
    }

    [Fact]
    public async Task Usage_counts_only_the_tenant_and_the_half_open_period()
    {
        var (mine, myRevision) = await DeployAsync();
        var (theirs, theirRevision) = await DeployAsync(tenant: "other");
        await Store.RecordInvocationsAsync(
        [
            Call(mine, myRevision, "create", -1, 5, 5, 128),
            Call(mine, myRevision, "create", 0, 5, 5, 128),
            Call(mine, myRevision, "create", 59, 5, 5, 128),
            Call(mine, myRevision, "create", 60, 5, 5, 128),
            Call(theirs, theirRevision, "create", 10, 5, 5, 128),
        ], None);

        var usage = await Store.QueryUsageAsync("acme", T0, T0.AddMinutes(1), None);
        var everyone = await Store.QueryUsageAsync(null, T0, T0.AddMinutes(1), None);

        Assert.Equal(2, Assert.Single(usage).Invocations);
        Assert.Equal([("acme", 2L), ("other", 1L)], everyone.Select(u => (u.Tenant, u.Invocations)).Order());
    }

    [Fact]
    public async Task Usage_of_an_empty_period_is_empty_and_a_reversed_period_is_refused()
    {
        await DeployAsync();

        Assert.Empty(await Store.QueryUsageAsync("acme", T0, T0.AddDays(1), None));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Store.QueryUsageAsync("acme", T0, T0.AddDays(-1), None));
        Assert.Contains("ends", error.Message);
    }

    [Fact]
    public async Task Function_stats_count_errors_cold_starts_and_nearest_rank_percentiles()
    {
        var (app, revision) = await DeployAsync();
        var calls = new List<InvocationRecord>();
        for (var i = 1; i <= 20; i++)
        {
            // Durations 1..20 ms in shuffled order; every fifth fails, the first is a cold start.
            var duration = (i * 7 % 20) + 1;
            calls.Add(Call(app, revision, "create", i, duration, duration, 128,
                i % 5 == 0 ? InvocationStatus.Error : InvocationStatus.Success, coldStart: i == 1));
        }

        calls.Add(Call(app, revision, "list", 0, 42, 42, 128, InvocationStatus.Timeout, "Task timed out after 3.00 seconds"));
        await Store.RecordInvocationsAsync(calls, None);

        var stats = await Store.QueryFunctionStatsAsync(app.Id, T0, None);

        Assert.Equal(
        [
            // n = 20: p50 is the 10th smallest, p95 the 19th.
            new FunctionStats("create", 20, 4, 1, 10, 19, 20),
            new FunctionStats("list", 1, 1, 0, 42, 42, 42),
        ], stats);
    }

    [Fact]
    public async Task Function_stats_only_cover_the_window_and_the_app_stage()
    {
        var (app, revision) = await DeployAsync();
        var (other, otherRevision) = await DeployAsync(service: "billing");
        await Store.RecordInvocationsAsync(
        [
            Call(app, revision, "create", 0, 1, 1, 128),
            Call(app, revision, "create", 10, 2, 2, 128),
            Call(other, otherRevision, "create", 10, 3, 3, 128),
        ], None);

        var stats = await Store.QueryFunctionStatsAsync(app.Id, T0.AddSeconds(5), None);

        Assert.Equal([new FunctionStats("create", 1, 0, 0, 2, 2, 2)], stats);
    }

    [Fact]
    public async Task Error_groups_are_per_function_status_and_text_most_frequent_first()
    {
        var (app, revision) = await DeployAsync();
        await Store.RecordInvocationsAsync(
        [
            Call(app, revision, "create", 1, 5, 5, 128, InvocationStatus.Error, "TypeError: bad"),
            Call(app, revision, "create", 2, 5, 5, 128),
            Call(app, revision, "create", 3, 5, 5, 128, InvocationStatus.Error, "TypeError: bad"),
            Call(app, revision, "create", 4, 5, 5, 128, InvocationStatus.Crash, "Runtime exited with error: exit status 3"),
            Call(app, revision, "list", 5, 5, 5, 128, InvocationStatus.Error, "TypeError: bad"),
            Call(app, revision, "list", 6, 5, 5, 128, InvocationStatus.Error),
        ], None);

        var groups = await Store.QueryErrorGroupsAsync(app.Id, T0, 10, None);

        Assert.Equal(
        [
            new ErrorGroup("create", InvocationStatus.Error, "TypeError: bad", 2, T0.AddSeconds(1), T0.AddSeconds(3), "req-create-3"),
            new ErrorGroup("list", InvocationStatus.Error, null, 1, T0.AddSeconds(6), T0.AddSeconds(6), "req-list-6"),
            new ErrorGroup("list", InvocationStatus.Error, "TypeError: bad", 1, T0.AddSeconds(5), T0.AddSeconds(5), "req-list-5"),
            new ErrorGroup("create", InvocationStatus.Crash, "Runtime exited with error: exit status 3", 1, T0.AddSeconds(4), T0.AddSeconds(4), "req-create-4"),
        ], groups);
        Assert.Equal(2, (await Store.QueryErrorGroupsAsync(app.Id, T0, 2, None)).Count);
        Assert.Empty(await Store.QueryErrorGroupsAsync(app.Id, T0.AddSeconds(7), 10, None));
    }
}

public sealed class SqliteMeteringQueryTests : MeteringQueryTests<SqliteBackend>;

public sealed class PostgresMeteringQueryTests : MeteringQueryTests<PostgresBackend>;
