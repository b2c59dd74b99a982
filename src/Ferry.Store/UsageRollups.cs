namespace Ferry.Store;

/// <summary>
/// Retention without losing usage: before invocation records (and usage rows of removed apps) are deleted, their
/// metering columns are summed into <c>usage_rollups</c>, one row per tenant, app stage, function and UTC hour, which
/// <see cref="RemovedAppUsage.UsageSql"/> adds to the raw rows. The SQL is the same on every backend; parameters are
/// named by the caller.
/// </summary>
internal static class UsageRollups
{
    public const long HourMilliseconds = 3_600_000;

    private const string Upsert = """
        ON CONFLICT (tenant, app_stage_id, service, stage, region, function, hour_start) DO UPDATE SET
            invocations = usage_rollups.invocations + excluded.invocations,
            billed_duration_ms = usage_rollups.billed_duration_ms + excluded.billed_duration_ms,
            memory_mb_ms = usage_rollups.memory_mb_ms + excluded.memory_mb_ms
        """;

    /// <summary>Ids of the oldest expired invocation records, at most one batch.</summary>
    public static string ExpiredInvocations(string cutoff, string batch)
        => $"SELECT id FROM invocations WHERE started_at < {cutoff} ORDER BY started_at, id LIMIT {batch}";

    public static string ExpiredRemovedAppUsage(string cutoff, string batch)
        => $"SELECT id FROM removed_app_usage WHERE started_at < {cutoff} ORDER BY started_at, id LIMIT {batch}";

    public static string ExpiredLogs(string cutoff, string batch)
        => $"SELECT id FROM logs WHERE logged_at < {cutoff} ORDER BY logged_at, id LIMIT {batch}";

    /// <summary>Adds the invocation records in <paramref name="rows"/> (a table or CTE with the invocations' columns) to the rollups.</summary>
    public static string RollUpInvocations(string rows) => $"""
        INSERT INTO usage_rollups (tenant, app_stage_id, service, stage, region, function, hour_start, invocations, billed_duration_ms, memory_mb_ms)
        SELECT i.tenant, i.app_stage_id, a.service, a.stage, a.region, i.function, i.started_at - i.started_at % {HourMilliseconds},
               COUNT(*), SUM(i.billed_duration_ms), SUM(i.billed_duration_ms * i.memory_size_mb)
        FROM {rows} i JOIN app_stages a ON a.id = i.app_stage_id
        WHERE true
        GROUP BY i.tenant, i.app_stage_id, a.service, a.stage, a.region, i.function, i.started_at - i.started_at % {HourMilliseconds}
        {Upsert};
        """;

    /// <summary>Adds the removed-app usage rows in <paramref name="rows"/> to the rollups.</summary>
    public static string RollUpRemovedAppUsage(string rows) => $"""
        INSERT INTO usage_rollups (tenant, app_stage_id, service, stage, region, function, hour_start, invocations, billed_duration_ms, memory_mb_ms)
        SELECT r.tenant, r.app_stage_id, r.service, r.stage, r.region, r.function, r.started_at - r.started_at % {HourMilliseconds},
               COUNT(*), SUM(r.billed_duration_ms), SUM(r.billed_duration_ms * r.memory_size_mb)
        FROM {rows} r
        WHERE true
        GROUP BY r.tenant, r.app_stage_id, r.service, r.stage, r.region, r.function, r.started_at - r.started_at % {HourMilliseconds}
        {Upsert};
        """;
}
