using Ferry.Manifest;
using Ferry.Runtime;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Quotas;

/// <summary>
/// What a deploy may ask for, checked before its archive is stored: warm minimums within the per-function cap and
/// within the tenant's instance and memory quotas (together with the tenant's other apps), no function larger than
/// the whole memory quota, and <c>outboundNetwork: true</c> only for tenants an admin allowed it. Refusals are 422
/// and name the field, the quota and its value.
/// </summary>
public sealed class DeploymentQuotaCheck(TenantQuotas quotas, LiveApps liveApps, RuntimeOptions runtimeOptions)
{
    /// <exception cref="DeploymentException">422 naming what is over which limit.</exception>
    public void Check(string tenant, ServiceManifest manifest)
    {
        var quota = quotas.Effective(tenant);
        var problems = new List<(string Code, ApiErrorDetail Detail)>();
        foreach (var function in manifest.Functions)
        {
            var scaling = function.Scaling;
            if (scaling.MaxInstances is null && scaling.MinInstances > runtimeOptions.MaxInstancesPerFunction)
            {
                problems.Add(("min_instances_over_cap", new ApiErrorDetail(
                    $"functions.{function.Name}.minInstances is {scaling.MinInstances}, but without maxInstances a function runs at most " +
                    $"{runtimeOptions.MaxInstancesPerFunction} instances (the server's per-function cap); set maxInstances: {scaling.MinInstances} or lower minInstances")));
            }

            if (function.OutboundNetwork && !quota.AllowOutboundNetwork)
            {
                problems.Add(("outbound_network_not_allowed", new ApiErrorDetail(
                    $"functions.{function.Name}.outboundNetwork: true is not allowed for tenant '{tenant}' (it would share the host's network); " +
                    $"remove it, or ask an admin: ferry tenant quota set {tenant} --allow-outbound-network true")));
            }

            if (function.MemorySize > quota.MaxMemoryMb)
            {
                problems.Add(("quota_exceeded", new ApiErrorDetail(
                    $"functions.{function.Name}.memorySize is {function.MemorySize} MB, more than tenant '{tenant}' may give all its instances " +
                    $"together (memory quota {quota.MaxMemoryMb} MB); lower memorySize or ask an admin: ferry tenant quota set {tenant} --memory-mb N")));
            }
        }

        var provider = manifest.Provider;
        var others = liveApps.All
            .Where(a => a.AppStage.Tenant == tenant
                        && !(a.AppStage.Service == manifest.Service && a.AppStage.Stage == provider.Stage && a.AppStage.Region == provider.Region))
            .SelectMany(a => a.Manifest.Functions)
            .ToList();
        var warm = manifest.Functions.Where(f => f.Scaling.MinInstances > 0).ToList();
        if (warm.Count > 0)
        {
            var otherInstances = others.Sum(f => f.Scaling.MinInstances);
            var instances = otherInstances + warm.Sum(f => f.Scaling.MinInstances);
            if (instances > quota.MaxInstances)
            {
                problems.Add(("quota_exceeded", new ApiErrorDetail(
                    $"{Fields(warm, f => $"{f.Scaling.MinInstances}")}: warm instances would total {instances} " +
                    $"({otherInstances} in the tenant's other apps), over tenant '{tenant}''s instances quota of {quota.MaxInstances}; " +
                    $"lower minInstances or ask an admin: ferry tenant quota set {tenant} --instances N")));
            }

            var otherMemory = others.Sum(f => (long)f.Scaling.MinInstances * f.MemorySize);
            var memory = otherMemory + warm.Sum(f => (long)f.Scaling.MinInstances * f.MemorySize);
            if (memory > quota.MaxMemoryMb)
            {
                problems.Add(("quota_exceeded", new ApiErrorDetail(
                    $"{Fields(warm, f => $"{f.Scaling.MinInstances} × {f.MemorySize} MB")}: warm instances would take {memory} MB " +
                    $"({otherMemory} MB in the tenant's other apps), over tenant '{tenant}''s memory quota of {quota.MaxMemoryMb} MB; " +
                    $"lower minInstances or memorySize, or ask an admin: ferry tenant quota set {tenant} --memory-mb N")));
            }
        }

        if (problems.Count == 0)
        {
            return;
        }

        var codes = problems.Select(p => p.Code).Distinct().ToList();
        throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, codes.Count == 1 ? codes[0] : "quota_exceeded",
            problems.Count == 1 ? problems[0].Detail.Message : $"{problems.Count} problems with tenant quotas: " + string.Join("; ", problems.Select(p => p.Detail.Message)),
            [.. problems.Select(p => p.Detail)]);
    }

    private static string Fields(IEnumerable<FunctionManifest> functions, Func<FunctionManifest, string> value)
        => string.Join(", ", functions.Select(f => $"functions.{f.Name}.minInstances ({value(f)})"));
}
