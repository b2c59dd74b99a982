namespace Ferry.Store;

/// <summary>
/// Usage survives app removal: deleting an app stage deletes its invocations, so first their metering columns are
/// copied to <c>removed_app_usage</c> (with the app stage's service, stage and region), and usage queries add those
/// rows to the live ones. The SQL is the same on every backend.
/// </summary>
internal static class RemovedAppUsage
{
    /// <summary>Copies the usage of one app stage's invocations; <paramref name="appStageId"/> names the parameter.</summary>
    public static string CopySql(string appStageId) => $"""
        INSERT INTO removed_app_usage (tenant, app_stage_id, service, stage, region, function, started_at, billed_duration_ms, memory_size_mb)
        SELECT i.tenant, i.app_stage_id, a.service, a.stage, a.region, i.function, i.started_at, i.billed_duration_ms, i.memory_size_mb
        FROM invocations i JOIN app_stages a ON a.id = i.app_stage_id
        WHERE i.app_stage_id = {appStageId};
        """;

    /// <summary>
    /// Usage rows as <see cref="StoreRows.ReadFunctionUsage"/> reads them, over live and removed app stages and the
    /// hourly rollups retention made of records it deleted (a rollup counts when its hour starts in the period).
    /// The sums are exact: SQLite raises an error rather than wrap on overflow; PostgreSQL sums bigints as numeric,
    /// and the cast back to bigint raises an error rather than wrap.
    /// </summary>
    public static string UsageSql(string tenant, string from, string to) => $"""
        SELECT tenant, app_stage_id, service, stage, region, function,
               CAST(SUM(invocations) AS BIGINT), CAST(SUM(billed_duration_ms) AS BIGINT), CAST(SUM(memory_mb_ms) AS BIGINT)
        FROM (
            SELECT i.tenant, i.app_stage_id, a.service, a.stage, a.region, i.function, 1 AS invocations,
                   i.billed_duration_ms, i.billed_duration_ms * i.memory_size_mb AS memory_mb_ms
            FROM invocations i JOIN app_stages a ON a.id = i.app_stage_id
            WHERE ({tenant} IS NULL OR i.tenant = {tenant}) AND i.started_at >= {from} AND i.started_at < {to}
            UNION ALL
            SELECT tenant, app_stage_id, service, stage, region, function, 1, billed_duration_ms, billed_duration_ms * memory_size_mb
            FROM removed_app_usage
            WHERE ({tenant} IS NULL OR tenant = {tenant}) AND started_at >= {from} AND started_at < {to}
            UNION ALL
            SELECT tenant, app_stage_id, service, stage, region, function, invocations, billed_duration_ms, memory_mb_ms
            FROM usage_rollups
            WHERE ({tenant} IS NULL OR tenant = {tenant}) AND hour_start >= {from} AND hour_start < {to}
        ) usage
        GROUP BY tenant, app_stage_id, service, stage, region, function
        ORDER BY service, stage, region, function, tenant, app_stage_id;
        """;
}
