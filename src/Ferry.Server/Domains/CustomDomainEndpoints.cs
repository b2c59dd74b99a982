using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Server.Domains;

/// <summary>The REST endpoints of custom domains (see <see cref="BindDomainRequest"/>) and their registration.</summary>
public static class CustomDomainEndpoints
{
    public static IServiceCollection AddFerryDomains(this IServiceCollection services)
    {
        services.AddSingleton<Store.ICustomDomainStore>(sp => sp.GetRequiredService<Store.IControlPlaneStore>());
        services.AddSingleton<CustomDomainService>();
        return services.AddSingleton<IHostRoutes>(sp => sp.GetRequiredService<CustomDomainService>());
    }

    /// <param name="api">The REST API group (<c>/api/v1</c>); the endpoints need <see cref="AccessPolicies.Domains"/>.</param>
    public static void MapFerryDomains(this IEndpointRouteBuilder api)
    {
        var domains = api.MapGroup("/domains").RequireAuthorization(AccessPolicies.Domains);
        domains.MapGet("", List);
        domains.MapPost("", BindAsync);
        domains.MapDelete("/{host}", UnbindAsync);
    }

    private static IResult List(HttpContext context, CustomDomainService domains) =>
        Results.Json(domains.Of(TenantContext.Of(context)).Select(d => domains.Describe(d, context.Request)).ToList(), ApiJson.Options);

    private static async Task<IResult> BindAsync(HttpContext context, BindDomainRequest? request, LiveApps live, CustomDomainService domains,
        CancellationToken cancellationToken)
    {
        if (request?.Host is not { Length: > 0 and <= DomainNameRules.MaxLength + 1 } written || request.Service is null || request.Stage is null)
        {
            return ApiResults.BadRequest($"Expected {{\"host\", \"service\", \"stage\"}} with a host of at most {DomainNameRules.MaxLength} characters");
        }

        var host = Normalize(written);
        if (DomainNameRules.FindProblem(host) is { } problem)
        {
            return ApiResults.BadRequest($"Host '{written}' {problem}; expected {DomainNameRules.Rule}");
        }

        if (DomainNameRules.NormalizeBasePath(request.BasePath) is not { } basePath)
        {
            return ApiResults.BadRequest($"Base path '{request.BasePath}' is invalid; expected {DomainNameRules.BasePathRule}");
        }

        // Only the caller's own app stages: another tenant's app is "not found", as everywhere in the API.
        if (AppEndpoints.FindOwned(context, live, request.Service, request.Stage, request.Region) is not { } app)
        {
            return AppEndpoints.AppNotFound(request.Service, request.Stage, request.Region);
        }

        var outcome = await domains.BindHostAsync(TenantContext.Of(context), host, basePath, app.AppStage, fromManifest: false,
            context.Request.Host.Host, cancellationToken);
        return outcome.Bound is { } bound
            ? Results.Json(domains.Describe(bound, context.Request), ApiJson.Options, statusCode: StatusCodes.Status201Created)
            : ApiResults.Error(StatusCodes.Status409Conflict, "domain_taken", outcome.Refusal!);
    }

    private static async Task<IResult> UnbindAsync(HttpContext context, string host, string? basePath, CustomDomainService domains,
        CancellationToken cancellationToken)
    {
        var name = host.Length <= DomainNameRules.MaxLength + 1 ? Normalize(host) : host;
        if (DomainNameRules.FindProblem(name) is { } problem)
        {
            return ApiResults.BadRequest($"Host '{host}' {problem}");
        }

        string? path = null;
        if (basePath is not null)
        {
            path = DomainNameRules.NormalizeBasePath(basePath);
            if (path is null)
            {
                return ApiResults.BadRequest($"Base path '{basePath}' is invalid; expected {DomainNameRules.BasePathRule}");
            }
        }

        return await domains.UnbindHostAsync(TenantContext.Of(context), name, path, cancellationToken) > 0
            ? Results.NoContent()
            : ApiResults.NotFound($"'{name}{path}' is not bound to an app of yours");
    }

    /// <summary>DNS names compare without case and without the root's trailing dot.</summary>
    private static string Normalize(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();
}
