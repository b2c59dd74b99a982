using Ferry.Manifest;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Server.ApiKeys;

/// <summary>The REST endpoints of API keys (see <see cref="CreateApiKeyRequest"/>) and their registration.</summary>
public static class ApiKeyEndpoints
{
    public static IServiceCollection AddFerryApiKeys(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyService>();
        return services.AddSingleton<Gateway.Forwarding.IApiKeyValidator>(sp => sp.GetRequiredService<ApiKeyService>());
    }

    /// <param name="apps">The REST API group of app endpoints (policy <see cref="Access.AccessPolicies.Apps"/>).</param>
    public static void MapFerryApiKeys(this IEndpointRouteBuilder apps)
    {
        apps.MapPost("/apps/{service}/{stage}/api-keys", CreateAsync);
        apps.MapGet("/apps/{service}/{stage}/api-keys", ListAsync);
        apps.MapDelete("/apps/{service}/{stage}/api-keys/{name}", RevokeAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string service, string stage, string? region, CreateApiKeyRequest? request,
        LiveApps live, ApiKeyService keys, CancellationToken cancellationToken)
    {
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppEndpoints.AppNotFound(service, stage, region);
        }

        if (request?.Name is not { } name || !ApiKeyRules.IsValidName(name))
        {
            return ApiResults.BadRequest($"API key name '{request?.Name}' is invalid; API key names are {ApiKeyRules.NameRule}");
        }

        if (request.Value is { } value && ApiKeyRules.FindValueProblem(value) is { } problem)
        {
            return ApiResults.BadRequest($"The value of API key '{name}' {problem}");
        }

        var created = await keys.CreateAsync(app.AppStage.Id, name, request.Value, cancellationToken);
        return created is null
            ? ApiResults.Error(StatusCodes.Status409Conflict, "conflict",
                $"App '{service}' stage '{stage}' already has an API key named '{name}'{(request.Value is null ? "" : " or with that value")}; revoke it first or choose another")
            : Results.Json(created, ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, string service, string stage, string? region,
        LiveApps live, ApiKeyService keys, CancellationToken cancellationToken)
    {
        return AppEndpoints.FindOwned(context, live, service, stage, region) is { } app
            ? Results.Json(await keys.ListAsync(app.AppStage.Id, cancellationToken), ApiJson.Options)
            : AppEndpoints.AppNotFound(service, stage, region);
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, string service, string stage, string name, string? region,
        LiveApps live, ApiKeyService keys, CancellationToken cancellationToken)
    {
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppEndpoints.AppNotFound(service, stage, region);
        }

        return await keys.RevokeAsync(app.AppStage.Id, name, cancellationToken)
            ? Results.NoContent()
            : ApiResults.NotFound($"App '{service}' stage '{stage}' has no API key named '{name}'");
    }
}
