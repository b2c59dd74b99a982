namespace Ferry.Server.Quotas;

/// <summary>
/// The quota every tenant has unless an admin set its own (<c>ferry server --default-quota-…</c>). Sized for one
/// machine shared by a few tenants; raise them per tenant with <c>ferry tenant quota set</c>.
/// </summary>
public sealed record TenantQuotaDefaults
{
    /// <summary>Instances running at once over all of a tenant's functions, warm minimums included.</summary>
    public int MaxInstances { get; init; } = 20;

    /// <summary>Σ memorySize of a tenant's running instances, MB (20 instances of the default 1024 MB).</summary>
    public int MaxMemoryMb { get; init; } = 20 * 1024;

    /// <summary>Bytes in a tenant's bucket and SQLite database folders, MB.</summary>
    public long MaxStorageMb { get; init; } = 10 * 1024;

    /// <summary>Log bytes stored per tenant and UTC day, MB.</summary>
    public long MaxLogMbPerDay { get; init; } = 200;

    /// <summary>Whether functions may declare <c>outboundNetwork: true</c> (the host's network namespace).</summary>
    public bool AllowOutboundNetwork { get; init; }
}
