using System.Data.Common;
using static Ferry.Store.StoreRows;

namespace Ferry.Store;

/// <summary>Tenant quotas and retention.</summary>
public abstract partial class FerryStore
{
    private const string QuotaColumns = "max_instances, max_memory_mb, max_storage_mb, max_log_mb_per_day, allow_outbound_network";

    public async Task<TenantQuota> GetTenantQuotaAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {QuotaColumns} FROM tenant_quotas WHERE tenant = @tenant;")
            .With("tenant", tenant);
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
                VALUES (@tenant, @instances, @memory, @storage, @logs, @outbound, @now)
                ON CONFLICT (tenant) DO UPDATE SET max_instances = excluded.max_instances, max_memory_mb = excluded.max_memory_mb,
                    max_storage_mb = excluded.max_storage_mb, max_log_mb_per_day = excluded.max_log_mb_per_day,
                    allow_outbound_network = excluded.allow_outbound_network, updated_at = excluded.updated_at;
                """)
            .With("tenant", tenant).With("instances", quota.MaxInstances).With("memory", quota.MaxMemoryMb)
            .With("storage", quota.MaxStorageMb).With("logs", quota.MaxLogMbPerDay).With("outbound", quota.AllowOutboundNetwork)
            .With("now", Now());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RetentionBatch> DeleteExpiredAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        var cutoffMs = cutoff.ToUnixMilliseconds();
        var invocations = await RollUpAndDeleteAsync(connection, transaction, "invocations",
            UsageRollups.ExpiredInvocations("@cutoff", "@batch"), UsageRollups.RollUpInvocations,
            cutoffMs, batchSize, cancellationToken);
        var removed = await RollUpAndDeleteAsync(connection, transaction, "removed_app_usage",
            UsageRollups.ExpiredRemovedAppUsage("@cutoff", "@batch"), UsageRollups.RollUpRemovedAppUsage,
            cutoffMs, batchSize, cancellationToken);
        long logs;
        await using (var deleteLogs = connection.Command(
                         $"DELETE FROM logs WHERE id IN ({UsageRollups.ExpiredLogs("@cutoff", "@batch")});", transaction)
                     .With("cutoff", cutoffMs).With("batch", batchSize))
        {
            logs = await deleteLogs.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RetentionBatch(invocations, removed, logs);
    }

    /// <summary>
    /// Takes one batch of expired rows (so a concurrent app removal waits instead of copying them too), adds them to
    /// the rollups and deletes them.
    /// </summary>
    private async Task<long> RollUpAndDeleteAsync(DbConnection connection, DbTransaction transaction, string table,
        string expiredIdsSql, Func<string, string> rollUpSql, long cutoff, int batchSize, CancellationToken cancellationToken)
    {
        var batch = await _dialect.TakeBatchAsync(
            transaction, expiredIdsSql, command => command.With("cutoff", cutoff).With("batch", batchSize), cancellationToken);
        if (batch is null)
        {
            return 0;
        }

        await using (var rollUp = connection.Command(rollUpSql($"(SELECT * FROM {table} WHERE {batch.IdCondition})"), transaction))
        {
            batch.Bind(rollUp);
            await rollUp.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var delete = connection.Command($"DELETE FROM {table} WHERE {batch.IdCondition};", transaction);
        batch.Bind(delete);
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }
}
