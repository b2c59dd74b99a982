namespace Ferry.Runtime.Quotas;

/// <summary>The limits in force for one tenant now: its own quota values over the server's defaults.</summary>
/// <param name="MaxInstances">Instances running at once over all the tenant's functions (warm minimums included).</param>
/// <param name="MaxMemoryMb">Σ memorySize of the tenant's running instances, MB.</param>
/// <param name="MaxLogBytesPerDay">Log bytes stored per UTC day.</param>
/// <param name="StorageOverQuota">Set while the last storage scan found the tenant over its storage quota.</param>
public sealed record TenantLimits(int MaxInstances, int MaxMemoryMb, long MaxLogBytesPerDay, StorageOverQuota? StorageOverQuota = null);

/// <summary>A tenant's measured storage (buckets and database folders) is above its quota.</summary>
public sealed record StorageOverQuota(long UsedBytes, long LimitBytes);

/// <summary>Where the runtime learns each tenant's limits (the server keeps them from the store, with defaults).</summary>
public interface ITenantLimitSource
{
    TenantLimits For(string tenant);
}
