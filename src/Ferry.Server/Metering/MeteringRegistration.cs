using Ferry.Server.Access;
using Ferry.Server.Metering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

// In the host's namespace, so FerryServerHost calls these without a using.
namespace Ferry.Server;

/// <summary>Wires metering into the server: one line among the feature registrations, one among the endpoints.</summary>
internal static class MeteringRegistration
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Registers the price table (read now from <c>pricing.json</c> in the data folder, so a broken file stops the
    /// server at start rather than at the first usage query) and the server's own metrics registry.
    /// </summary>
    public static IServiceCollection AddFerryMetering(this IServiceCollection services, FerryServerOptions options)
    {
        services.AddSingleton(PriceTable.Load(Path.GetFullPath(options.DataDirectory)));
        // A registry per server rather than prometheus-net's process-wide default, so servers in one process
        // (tests) keep their numbers apart.
        services.AddSingleton(_ =>
        {
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        services.AddSingleton<InvocationMetrics>();
        services.AddSingleton<StemCellMetrics>();
        return services;
    }

    /// <summary>The usage and errors API under <paramref name="api"/>, HTTP request metrics, and <c>GET /metrics</c>.</summary>
    public static void MapFerryMetering(this WebApplication app, IEndpointRouteBuilder api)
    {
        var registry = app.Services.GetRequiredService<CollectorRegistry>();
        app.Services.GetRequiredService<InvocationMetrics>(); // starts counting invocations now
        app.Services.GetRequiredService<StemCellMetrics>();
        api.MapMeteringEndpoints();
        // Routing runs first (WebApplication adds it), so requests are labelled by endpoint pattern, not by raw path.
        // Requests to functions are left out: ferry_invocations_total and ferry_invocation_duration_seconds count them
        // per function, and labelling every gateway request a second time cost the request path measurable CPU.
        app.UseWhen(
            context => context.GetEndpoint()?.Metadata.GetMetadata<GatewayEndpoint>() is null,
            api => api.UseHttpMetrics(http => http.SetMetricFactory(Metrics.WithCustomRegistry(registry))));
        // An endpoint (routing matches /metrics however it is spelled), not a path check: only operators may scrape,
        // the series name every tenant's services.
        app.MapMetrics(MetricsPath, registry).RequireAuthorization(AccessPolicies.Admin);
    }
}

/// <summary>Metadata of the endpoint that serves functions (the gateway), which the HTTP request metrics leave out.</summary>
internal sealed class GatewayEndpoint
{
    public static readonly GatewayEndpoint Metadata = new();

    private GatewayEndpoint()
    {
    }
}
