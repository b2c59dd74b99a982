namespace Ferry.Store;

/// <summary>
/// A tenant's own limits as an admin set them. A null value means "the server's default" (<c>ferry server
/// --default-quota-…</c>), so changing a default reaches every tenant that was not given a value of its own.
/// </summary>
/// <param name="MaxInstances">Instances running at once over all the tenant's functions (warm minimums included).</param>
/// <param name="MaxMemoryMb">Σ memorySize of the tenant's running instances, MB.</param>
/// <param name="MaxStorageMb">Bytes in the tenant's bucket and SQLite database folders, MB.</param>
/// <param name="MaxLogMbPerDay">Log bytes stored per UTC day, MB.</param>
/// <param name="AllowOutboundNetwork">Whether the tenant's functions may declare <c>outboundNetwork: true</c>.</param>
public sealed record TenantQuota(
    int? MaxInstances = null,
    int? MaxMemoryMb = null,
    long? MaxStorageMb = null,
    long? MaxLogMbPerDay = null,
    bool? AllowOutboundNetwork = null)
{
    public static TenantQuota Unset { get; } = new();
}

/// <summary>What one retention batch removed.</summary>
/// <param name="InvocationsRolledUp">Invocation records summed into hourly usage rollups and deleted.</param>
/// <param name="RemovedAppUsageRolledUp">Usage rows of removed apps summed into rollups and deleted.</param>
/// <param name="LogsDeleted">Log lines deleted.</param>
public sealed record RetentionBatch(long InvocationsRolledUp, long RemovedAppUsageRolledUp, long LogsDeleted)
{
    public long Total => InvocationsRolledUp + RemovedAppUsageRolledUp + LogsDeleted;
}

/// <summary>Per-tenant quotas, and retention of logs and invocation records that keeps usage totals exact.</summary>
public interface IQuotaStore
{
    /// <summary>The tenant's own quota values (all null when none were set).</summary>
    Task<TenantQuota> GetTenantQuotaAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Every tenant that has quota values of its own.</summary>
    Task<IReadOnlyDictionary<string, TenantQuota>> ListTenantQuotasAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the tenant's own quota values (null values: back to the server's default).</summary>
    Task SetTenantQuotaAsync(string tenant, TenantQuota quota, CancellationToken cancellationToken);

    /// <summary>
    /// One batch of retention, in one transaction: up to <paramref name="batchSize"/> invocation records (and as many
    /// usage rows of removed apps) that started before <paramref name="cutoff"/> are added to hourly usage rollups and
    /// deleted, and up to <paramref name="batchSize"/> log lines logged before it are deleted. Usage queries read the
    /// rollups, so usage over periods aligned to whole UTC hours does not change. Call again while it removes anything.
    /// </summary>
    Task<RetentionBatch> DeleteExpiredAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken);
}
