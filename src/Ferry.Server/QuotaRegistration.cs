using Ferry.Runtime.Quotas;
using Ferry.Server.Quotas;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

// In the host's namespace, so FerryServerHost calls these without a using.
namespace Ferry.Server;

/// <summary>Wires tenant quotas and retention into the server: one line among the registrations, one among the endpoints.</summary>
internal static class QuotaRegistration
{
    public static IServiceCollection AddFerryQuotas(this IServiceCollection services)
    {
        services.AddSingleton<Ferry.Store.IQuotaStore>(sp => sp.GetRequiredService<Ferry.Store.IControlPlaneStore>());
        services.AddSingleton<TenantQuotas>();
        services.AddSingleton<ITenantLimitSource>(sp => sp.GetRequiredService<TenantQuotas>());
        services.AddSingleton<TenantAdmission>();
        services.AddSingleton<TenantLogBudget>();
        services.AddSingleton<DeploymentQuotaCheck>();
        services.AddSingleton<TenantStorageMeter>();
        services.AddHostedService(sp => sp.GetRequiredService<TenantStorageMeter>());
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
        return services;
    }

    public static void MapFerryQuotas(this IEndpointRouteBuilder api) => api.MapQuotaEndpoints();
}
