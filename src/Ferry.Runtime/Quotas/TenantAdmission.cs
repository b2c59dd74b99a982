namespace Ferry.Runtime.Quotas;

/// <summary>
/// Counts the running (and starting) instances of every tenant and the memory they were given, over all instance
/// pools of the tenant; a pool asks here before it starts an instance and gives the place back when the instance is
/// gone. An instance that would take the tenant past its instance or memory quota, or any new instance while the
/// tenant's storage is over quota, is refused with <see cref="TenantQuotaExceededException"/>.
/// <para>
/// A redeploy hands places over: the retired revision's pools still hold the tenant's places while they drain, so a
/// refused pool whose tenant has a draining pool waits for a place (<see cref="WaitForPlace"/>) instead of failing
/// its requests, and the draining pools are asked to stop their idle instances at once. Callbacks run on the thread
/// pool, never under a lock of this class (pools call in here while holding their own).
/// </para>
/// </summary>
public sealed class TenantAdmission(ITenantLimitSource limits)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TenantInstanceUsage> _usage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IPlaceTaker>> _waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IPlaceTaker>> _draining = new(StringComparer.Ordinal);

    /// <summary>Takes a place for one instance of <paramref name="memoryMb"/>, or says which quota refuses it.</summary>
    public bool TryAdmit(string tenant, int memoryMb, string function, out TenantQuotaExceededException? refusal)
    {
        var limit = limits.For(tenant);
        lock (_gate)
        {
            var usage = _usage.GetValueOrDefault(tenant);
            refusal = limit switch
            {
                { StorageOverQuota: { } storage } => new TenantQuotaExceededException(tenant, TenantQuotaNames.Storage,
                    ToMb(storage.LimitBytes), ToMb(storage.UsedBytes), "MB",
                    $"Tenant '{tenant}' is over its storage quota ({ToMb(storage.UsedBytes)} MB used of {ToMb(storage.LimitBytes)} MB in buckets and databases), " +
                    $"so no new instance of {function} is started. Delete data, or ask an admin: ferry tenant quota set {tenant} --storage-mb N"),
                _ when usage.Instances + 1 > limit.MaxInstances => new TenantQuotaExceededException(tenant, TenantQuotaNames.Instances,
                    limit.MaxInstances, usage.Instances, "instances",
                    $"Tenant '{tenant}' is at its instances quota ({usage.Instances} of {limit.MaxInstances} instances running), " +
                    $"so no new instance of {function} is started. Retry when instances go idle, or ask an admin: ferry tenant quota set {tenant} --instances N"),
                _ when usage.MemoryMb + memoryMb > limit.MaxMemoryMb => new TenantQuotaExceededException(tenant, TenantQuotaNames.Memory,
                    limit.MaxMemoryMb, usage.MemoryMb, "MB",
                    $"Tenant '{tenant}' is at its memory quota ({usage.MemoryMb} MB of {limit.MaxMemoryMb} MB given to running instances; " +
                    $"{function} needs {memoryMb} MB more), so no new instance is started. Retry when instances go idle, or ask an admin: ferry tenant quota set {tenant} --memory-mb N"),
                _ => null,
            };
            if (refusal is not null)
            {
                return false;
            }

            _usage[tenant] = new TenantInstanceUsage(usage.Instances + 1, usage.MemoryMb + memoryMb);
            return true;
        }
    }

    /// <summary>Gives back the place of one instance taken by <see cref="TryAdmit"/>.</summary>
    public void Release(string tenant, int memoryMb)
    {
        HashSet<IPlaceTaker>? waiting;
        lock (_gate)
        {
            var usage = _usage.GetValueOrDefault(tenant);
            var left = new TenantInstanceUsage(Math.Max(0, usage.Instances - 1), Math.Max(0, usage.MemoryMb - memoryMb));
            if (left.Instances == 0)
            {
                _usage.Remove(tenant);
            }
            else
            {
                _usage[tenant] = left;
            }

            _waiting.Remove(tenant, out waiting);
        }

        if (waiting is not null)
        {
            foreach (var taker in waiting)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static t => t.PlaceReleased(), taker, preferLocal: false);
            }
        }
    }

    /// <summary>
    /// After a refusal: when the tenant has a draining pool (a retired revision), registers <paramref name="taker"/> to
    /// be told once when a place is given back, asks the draining pools to stop their idle instances, and returns true
    /// (the refused requests should wait). Returns false when no place is expected back soon.
    /// </summary>
    public bool WaitForPlace(string tenant, IPlaceTaker taker)
    {
        IPlaceTaker[] draining;
        lock (_gate)
        {
            if (!_draining.TryGetValue(tenant, out var pools) || pools.Count == 0)
            {
                return false;
            }

            if (!_waiting.TryGetValue(tenant, out var waiting))
            {
                _waiting[tenant] = waiting = [];
            }

            waiting.Add(taker);
            draining = [.. pools];
        }

        foreach (var pool in draining)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static p => p.YieldIdleInstances(), pool, preferLocal: false);
        }

        return true;
    }

    /// <summary>Whether a pool of <paramref name="tenant"/> waits for a place (see <see cref="WaitForPlace"/>).</summary>
    public bool IsWaitingForPlace(string tenant)
    {
        lock (_gate)
        {
            return _waiting.TryGetValue(tenant, out var waiting) && waiting.Count > 0;
        }
    }

    /// <summary>A retired pool that still holds places of <paramref name="tenant"/> (until <see cref="EndDraining"/>).</summary>
    public void BeginDraining(string tenant, IPlaceTaker pool)
    {
        lock (_gate)
        {
            if (!_draining.TryGetValue(tenant, out var pools))
            {
                _draining[tenant] = pools = [];
            }

            pools.Add(pool);
        }
    }

    public void EndDraining(string tenant, IPlaceTaker pool)
    {
        HashSet<IPlaceTaker>? waiting = null;
        lock (_gate)
        {
            if (_draining.TryGetValue(tenant, out var pools) && pools.Remove(pool) && pools.Count == 0)
            {
                _draining.Remove(tenant);
                // Nothing more will be given back: the waiting pools look again (and fail their requests if still refused).
                _waiting.Remove(tenant, out waiting);
            }
        }

        if (waiting is not null)
        {
            foreach (var taker in waiting)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static t => t.PlaceReleased(), taker, preferLocal: false);
            }
        }
    }

    /// <summary>The tenant's running and starting instances now.</summary>
    public TenantInstanceUsage UsageOf(string tenant)
    {
        lock (_gate)
        {
            return _usage.GetValueOrDefault(tenant);
        }
    }

    private static long ToMb(long bytes) => (bytes + 1024 * 1024 - 1) / (1024 * 1024);
}

/// <summary>An instance pool as <see cref="TenantAdmission"/> sees it during a handover of places.</summary>
public interface IPlaceTaker
{
    /// <summary>A place of the tenant was given back: start instances for waiting requests if any.</summary>
    void PlaceReleased();

    /// <summary>A retired pool: stop the instances that serve nothing (now and as they finish) to give their places back.</summary>
    void YieldIdleInstances();
}

/// <summary>Instances a tenant runs (or is starting) and Σ their memorySize.</summary>
public readonly record struct TenantInstanceUsage(int Instances, long MemoryMb);
