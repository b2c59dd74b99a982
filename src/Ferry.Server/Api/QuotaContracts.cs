namespace Ferry.Server.Api;

//   GET    /api/v1/tenants/{tenant}/quota     (admin) -> TenantQuotaInfo
//   PUT    /api/v1/tenants/{tenant}/quota     (admin) body SetTenantQuotaRequest (only the given values change) -> TenantQuotaInfo

/// <summary>One quota of a tenant: its limit, what is used now, and whether the limit is the server's default.</summary>
/// <param name="Name">instances, memory, storage or logs.</param>
/// <param name="Unit">instances, MB or MB/day.</param>
public sealed record QuotaLine(string Name, string Unit, long Limit, long Used, bool IsDefault);

/// <param name="StorageMeasuredAt">When storage was last measured (it is measured periodically, not on every write).</param>
public sealed record TenantQuotaInfo(
    string Tenant,
    IReadOnlyList<QuotaLine> Quotas,
    bool AllowOutboundNetwork,
    bool AllowOutboundNetworkIsDefault,
    DateTimeOffset? StorageMeasuredAt);

public sealed record SetTenantQuotaRequest(
    int? Instances = null,
    int? MemoryMb = null,
    long? StorageMb = null,
    long? LogMb = null,
    bool? AllowOutboundNetwork = null);
