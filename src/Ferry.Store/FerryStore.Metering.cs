using static Ferry.Store.StoreRows;

namespace Ferry.Store;

/// <summary>Metering and statistics: aggregate queries over the <c>invocations</c> table, computed by the database.</summary>
public abstract partial class FerryStore
{
    public async Task<IReadOnlyList<FunctionUsage>> QueryUsageAsync(
        string? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (to < from)
        {
            throw new ArgumentException($"The usage period ends ({to:O}) before it starts ({from:O}).", nameof(to));
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(RemovedAppUsage.UsageSql("@tenant", "@from", "@to"))
            .With("tenant", tenant).With("from", from.ToUnixMilliseconds()).With("to", to.ToUnixMilliseconds());
        return await ReadAllAsync(command, ReadFunctionUsage, cancellationToken);
    }

    public async Task<IReadOnlyList<FunctionStats>> QueryFunctionStatsAsync(
        long appStageId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // Nearest-rank percentiles: the p-th percentile of n values is the value at rank ceil(n * p / 100).
        await using var command = connection.Command(
                "WITH ranked AS (" +
                "  SELECT function, duration_ms, status, cold_start, " +
                "         ROW_NUMBER() OVER (PARTITION BY function ORDER BY duration_ms) AS position, " +
                "         COUNT(*) OVER (PARTITION BY function) AS total " +
                "  FROM invocations WHERE app_stage_id = @appStageId AND started_at >= @since) " +
                "SELECT function, COUNT(*), " +
                $"       SUM(CASE WHEN {Failed} THEN 1 ELSE 0 END), SUM(CASE WHEN cold_start THEN 1 ELSE 0 END), " +
                "       MIN(CASE WHEN position >= (total * 50 + 99) / 100 THEN duration_ms END), " +
                "       MIN(CASE WHEN position >= (total * 95 + 99) / 100 THEN duration_ms END), " +
                "       MAX(duration_ms) " +
                "FROM ranked GROUP BY function ORDER BY function;")
            .With("appStageId", appStageId).With("since", since.ToUnixMilliseconds());
        return await ReadAllAsync(command, ReadFunctionStats, cancellationToken);
    }

    public async Task<IReadOnlyList<ErrorGroup>> QueryErrorGroupsAsync(
        long appStageId, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // NULLS FIRST (SQLite's default): groups without error text come first on both stores.
        await using var command = connection.Command(
                "SELECT function, status, error, COUNT(*), MIN(started_at), MAX(started_at), " +
                $"       {_dialect.LatestRequestId} " +
                $"FROM invocations WHERE app_stage_id = @appStageId AND started_at >= @since AND {Failed} " +
                "GROUP BY function, status, error " +
                "ORDER BY COUNT(*) DESC, MAX(started_at) DESC, function, error NULLS FIRST LIMIT @limit;")
            .With("appStageId", appStageId).With("since", since.ToUnixMilliseconds()).With("limit", ClampLimit(limit));
        return await ReadAllAsync(command, ReadErrorGroup, cancellationToken);
    }
}
