using Ferry.Runtime.Quotas;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Quotas;

/// <summary><c>GET|PUT /api/v1/tenants/{tenant}/quota</c>: admins read and change a tenant's quotas.</summary>
internal static class QuotaEndpoints
{
    public static void MapQuotaEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/tenants/{tenant}/quota", async (string tenant, IAccessStore access, TenantQuotas quotas,
                TenantAdmission admission, TenantLogBudget logs, TimeProvider time, CancellationToken ct) =>
            await access.TenantExistsAsync(tenant, ct)
                ? Results.Json(Describe(tenant, quotas, admission, logs, time), ApiJson.Options)
                : NoTenant(tenant))
            .RequireAuthorization(AccessPolicies.Admin);

        api.MapPut("/tenants/{tenant}/quota", async (string tenant, SetTenantQuotaRequest request, IAccessStore access, TenantQuotas quotas,
                TenantAdmission admission, TenantLogBudget logs, TimeProvider time, CancellationToken ct) =>
            {
                if (!await access.TenantExistsAsync(tenant, ct))
                {
                    return NoTenant(tenant);
                }

                if (Invalid(request) is { } problem)
                {
                    return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_quota", problem);
                }

                await quotas.SetAsync(tenant, new TenantQuota(request.Instances, request.MemoryMb, request.StorageMb, request.LogMb,
                    request.AllowOutboundNetwork), ct);
                return Results.Json(Describe(tenant, quotas, admission, logs, time), ApiJson.Options);
            })
            .RequireAuthorization(AccessPolicies.Admin);
    }

    private static string? Invalid(SetTenantQuotaRequest request) => request switch
    {
        { Instances: < 0 or > 100_000 } => $"instances must be from 0 to 100000, got {request.Instances}",
        { MemoryMb: < 0 } => $"memory-mb must be 0 or more, got {request.MemoryMb}",
        { StorageMb: < 0 } => $"storage-mb must be 0 or more, got {request.StorageMb}",
        { LogMb: < 0 } => $"log-mb must be 0 or more, got {request.LogMb}",
        _ => null,
    };

    private static IResult NoTenant(string tenant)
        => ApiResults.NotFound($"No tenant '{tenant}'; list them with `ferry tenant list`");

    private static TenantQuotaInfo Describe(string tenant, TenantQuotas quotas, TenantAdmission admission, TenantLogBudget logs, TimeProvider time)
    {
        var own = quotas.OwnValues(tenant);
        var quota = quotas.Effective(tenant);
        var running = admission.UsageOf(tenant);
        return new TenantQuotaInfo(tenant,
        [
            new QuotaLine(TenantQuotaNames.Instances, "instances", quota.MaxInstances, running.Instances, own.MaxInstances is null),
            new QuotaLine(TenantQuotaNames.Memory, "MB", quota.MaxMemoryMb, running.MemoryMb, own.MaxMemoryMb is null),
            new QuotaLine(TenantQuotaNames.Storage, "MB", quota.MaxStorageMb, TenantQuotas.ToMb(quotas.StorageBytes(tenant)), own.MaxStorageMb is null),
            new QuotaLine(TenantQuotaNames.Logs, "MB/day", quota.MaxLogMbPerDay, TenantQuotas.ToMb(logs.BytesToday(tenant, time.GetUtcNow())), own.MaxLogMbPerDay is null),
        ], quota.AllowOutboundNetwork, own.AllowOutboundNetwork is null, quotas.StorageMeasuredAt);
    }
}
