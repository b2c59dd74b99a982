using System.Collections.Concurrent;
using Ferry.Resources.Buckets;
using Ferry.Runtime.Quotas;
using Ferry.Store;

namespace Ferry.Server.Quotas;

/// <summary>A tenant's quota in force: its own values over the server's defaults.</summary>
public sealed record EffectiveQuota(int MaxInstances, int MaxMemoryMb, long MaxStorageMb, long MaxLogMbPerDay, bool AllowOutboundNetwork);

/// <summary>
/// The quotas of every tenant as the runtime, the bucket endpoint and deploys need them: read from the store at start,
/// after every change through this server, and again every storage scan (other servers on a shared PostgreSQL store
/// may have changed them). Also holds the last storage measurement of each tenant.
/// </summary>
public sealed class TenantQuotas(IQuotaStore store, FerryServerOptions options) : ITenantLimitSource
{
    private const long Megabyte = 1024 * 1024;

    private volatile IReadOnlyDictionary<string, TenantQuota> _own = new Dictionary<string, TenantQuota>();
    private readonly ConcurrentDictionary<string, long> _storageBytes = new(StringComparer.Ordinal);

    private TenantQuotaDefaults Defaults => options.DefaultQuota;

    /// <summary>When storage was last measured (null: not yet).</summary>
    public DateTimeOffset? StorageMeasuredAt { get; private set; }

    public async Task RefreshAsync(CancellationToken cancellationToken)
        => _own = await store.ListTenantQuotasAsync(cancellationToken);

    /// <summary>The values an admin set for the tenant (null: the default applies).</summary>
    public TenantQuota OwnValues(string tenant) => _own.GetValueOrDefault(tenant) ?? TenantQuota.Unset;

    public EffectiveQuota Effective(string tenant)
    {
        var own = OwnValues(tenant);
        return new EffectiveQuota(
            own.MaxInstances ?? Defaults.MaxInstances,
            own.MaxMemoryMb ?? Defaults.MaxMemoryMb,
            own.MaxStorageMb ?? Defaults.MaxStorageMb,
            own.MaxLogMbPerDay ?? Defaults.MaxLogMbPerDay,
            own.AllowOutboundNetwork ?? Defaults.AllowOutboundNetwork);
    }

    /// <summary>Merges the given values into the tenant's own quota (null: unchanged) and stores it.</summary>
    public async Task<TenantQuota> SetAsync(string tenant, TenantQuota changes, CancellationToken cancellationToken)
    {
        var current = await store.GetTenantQuotaAsync(tenant, cancellationToken);
        var merged = new TenantQuota(
            changes.MaxInstances ?? current.MaxInstances,
            changes.MaxMemoryMb ?? current.MaxMemoryMb,
            changes.MaxStorageMb ?? current.MaxStorageMb,
            changes.MaxLogMbPerDay ?? current.MaxLogMbPerDay,
            changes.AllowOutboundNetwork ?? current.AllowOutboundNetwork);
        await store.SetTenantQuotaAsync(tenant, merged, cancellationToken);
        await RefreshAsync(cancellationToken);
        return merged;
    }

    /// <summary>Replaces the storage measurement of every tenant (tenants not in it use nothing).</summary>
    public void RecordStorage(IReadOnlyDictionary<string, long> bytesByTenant, DateTimeOffset measuredAt)
    {
        foreach (var tenant in _storageBytes.Keys.Where(t => !bytesByTenant.ContainsKey(t)))
        {
            _storageBytes.TryRemove(tenant, out _);
        }

        foreach (var (tenant, bytes) in bytesByTenant)
        {
            _storageBytes[tenant] = bytes;
        }

        StorageMeasuredAt = measuredAt;
    }

    /// <summary>Bytes the tenant stored at the last measurement.</summary>
    public long StorageBytes(string tenant) => _storageBytes.GetValueOrDefault(tenant);

    public TenantLimits For(string tenant)
    {
        var quota = Effective(tenant);
        var used = StorageBytes(tenant);
        var limitBytes = quota.MaxStorageMb * Megabyte;
        return new TenantLimits(quota.MaxInstances, quota.MaxMemoryMb, quota.MaxLogMbPerDay * Megabyte,
            used > limitBytes ? new StorageOverQuota(used, limitBytes) : null);
    }

    /// <summary>The bucket endpoint's write check: a QuotaExceeded error (507) while the tenant is over its storage quota.</summary>
    public S3Exception? RefuseBucketWrite(string tenant)
    {
        var quota = Effective(tenant);
        var used = StorageBytes(tenant);
        return used > quota.MaxStorageMb * Megabyte
            ? S3Exception.QuotaExceeded(
                $"Tenant '{tenant}' is over its storage quota: {ToMb(used)} MB used of {quota.MaxStorageMb} MB (buckets and databases). " +
                $"Writes are refused until data is deleted or an admin raises it: ferry tenant quota set {tenant} --storage-mb N")
            : null;
    }

    public static long ToMb(long bytes) => (bytes + Megabyte - 1) / Megabyte;
}
