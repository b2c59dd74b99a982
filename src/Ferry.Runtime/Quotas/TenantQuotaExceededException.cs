namespace Ferry.Runtime.Quotas;

/// <summary>
/// A request, deploy or write would take a tenant past one of its quotas. <see cref="Quota"/> names it the way
/// <c>ferry tenant quota set</c> does (<c>instances</c>, <c>memory</c>, <c>storage</c>, <c>logs</c>); answered with 429
/// (instances, memory) or 507 (storage) and <c>{"code":"quota_exceeded","quota":…,"limit":…}</c>.
/// </summary>
public sealed class TenantQuotaExceededException(string tenant, string quota, long limit, long used, string unit, string message)
    : Exception(message)
{
    public string Tenant { get; } = tenant;

    /// <summary><c>instances</c>, <c>memory</c>, <c>storage</c> or <c>logs</c>.</summary>
    public string Quota { get; } = quota;

    public long Limit { get; } = limit;

    /// <summary>What the tenant uses now, in <see cref="Unit"/>.</summary>
    public long Used { get; } = used;

    /// <summary><c>instances</c> or <c>MB</c>.</summary>
    public string Unit { get; } = unit;

    /// <summary>507 for storage (the tenant must free space), 429 for the others (retry when something stops).</summary>
    public int StatusCode => Quota == TenantQuotaNames.Storage ? 507 : 429;
}

/// <summary>The names quotas go by in errors, the API and the CLI.</summary>
public static class TenantQuotaNames
{
    public const string Instances = "instances";
    public const string Memory = "memory";
    public const string Storage = "storage";
    public const string Logs = "logs";

    /// <summary>The CLI flag that sets the quota, for "ask an admin" hints.</summary>
    public static string Flag(string quota) => quota switch
    {
        Instances => "--instances",
        Memory => "--memory-mb",
        Storage => "--storage-mb",
        _ => "--log-mb",
    };
}
