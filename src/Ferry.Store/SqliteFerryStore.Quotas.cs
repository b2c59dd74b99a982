using Microsoft.Data.Sqlite;
using static Ferry.Store.StoreRows;

namespace Ferry.Store;

/// <summary>Tenant quotas and retention on SQLite.</summary>
public sealed partial class SqliteFerryStore
{
    private const string QuotaColumns = "max_instances, max_memory_mb, max_storage_mb, max_log_mb_per_day, allow_outbound_network";

    public async Task<TenantQuota> GetTenantQuotaAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {QuotaColumns} FROM tenant_quotas WHERE tenant = $tenant;")
            .With("$tenant", tenant);
        return await ReadSingleAsync(command, r => ReadTenantQuota(r, 0), cancellationToken) ?? TenantQuota.Unset;
    }

    public async Task<IReadOnlyDictionary<string, TenantQuota>> ListTenantQuotasAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT tenant, {QuotaColumns} FROM tenant_quotas ORDER BY tenant;");
        var rows = await ReadAllAsync(command, r => (Tenant: r.GetString(0), Quota: ReadTenantQuota(r, 1)), cancellationToken);
        return rows.ToDictionary(r => r.Tenant, r => r.Quota, StringComparer.Ordinal);
    }

    public async Task SetTenantQuotaAsync(string tenant, TenantQuota quota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(quota);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"""
                INSERT INTO tenant_quotas (tenant, {QuotaColumns}, updated_at)
                VALUES ($tenant, $instances, $memory, $storage, $logs, $outbound, $now)
                ON CONFLICT (tenant) DO UPDATE SET max_instances = excluded.max_instances, max_memory_mb = excluded.max_memory_mb,
                    max_storage_mb = excluded.max_storage_mb, max_log_mb_per_day = excluded.max_log_mb_per_day,
                    allow_outbound_network = excluded.allow_outbound_network, updated_at = excluded.updated_at;
                """)
            .With("$tenant", tenant).With("$instances", quota.MaxInstances).With("$memory", quota.MaxMemoryMb)
            .With("$storage", quota.MaxStorageMb).With("$logs", quota.MaxLogMbPerDay).With("$outbound", quota.AllowOutboundNetwork)
            .With("$now", Now());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RetentionBatch> DeleteExpiredAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        await using var connection = await OpenAsync(cancellationToken);
        // Immediate: the write lock is held from the first read, so the rows rolled up are exactly the rows deleted.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var cutoffMs = cutoff.ToUnixMilliseconds();
        var invocations = await RollUpAndDeleteAsync(connection, transaction, "invocations",
            UsageRollups.RollUpInvocations($"(SELECT * FROM invocations WHERE id IN ({UsageRollups.ExpiredInvocations("$cutoff", "$batch")}))"),
            UsageRollups.ExpiredInvocations("$cutoff", "$batch"), cutoffMs, batchSize, cancellationToken);
        var removed = await RollUpAndDeleteAsync(connection, transaction, "removed_app_usage",
            UsageRollups.RollUpRemovedAppUsage($"(SELECT * FROM removed_app_usage WHERE id IN ({UsageRollups.ExpiredRemovedAppUsage("$cutoff", "$batch")}))"),
            UsageRollups.ExpiredRemovedAppUsage("$cutoff", "$batch"), cutoffMs, batchSize, cancellationToken);
        long logs;
        await using (var deleteLogs = connection.Command(
                         $"DELETE FROM logs WHERE id IN ({UsageRollups.ExpiredLogs("$cutoff", "$batch")});", transaction)
                     .With("$cutoff", cutoffMs).With("$batch", batchSize))
        {
            logs = await deleteLogs.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RetentionBatch(invocations, removed, logs);
    }

    private static async Task<long> RollUpAndDeleteAsync(SqliteConnection connection, SqliteTransaction transaction, string table,
        string rollUpSql, string expiredIdsSql, long cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using (var rollUp = connection.Command(rollUpSql, transaction).With("$cutoff", cutoff).With("$batch", batchSize))
        {
            await rollUp.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var delete = connection.Command($"DELETE FROM {table} WHERE id IN ({expiredIdsSql});", transaction)
            .With("$cutoff", cutoff).With("$batch", batchSize);
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }
}
