using Ferry.Manifest;
using Ferry.Runtime;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Server.Deployments;
using Ferry.Server.Resources;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api;

/// <summary>Apps: list, describe, remove, invoke a function directly.</summary>
internal static class AppEndpoints
{
    public static void MapAppEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/apps", ListAsync);
        api.MapGet("/apps/{service}/{stage}", GetAsync);
        api.MapDelete("/apps/{service}/{stage}", RemoveAsync);
        api.MapPost("/apps/{service}/{stage}/functions/{function}/invoke", InvokeAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFerryStore store, LiveApps live, CancellationToken cancellationToken)
    {
        var baseUrl = ApiResults.BaseUrl(context.Request);
        var stages = await store.ListAppStagesAsync(TenantContext.Of(context), cancellationToken);
        var summaries = stages.Select(s =>
        {
            var app = live.Get(s.Service, s.Stage, s.Region);
            return new AppSummary(s.Service, s.Stage, s.Region, app?.Revision.Number, app?.Manifest.Functions.Count ?? 0,
                AppViews.AppBaseUrl(baseUrl, s.Service, s.Stage, s.Region), s.UpdatedAt);
        });
        return Results.Json(summaries.ToList(), ApiJson.Options);
    }

    /// <summary>The app stage of the caller's tenant, being served; null when there is none (404).</summary>
    internal static LiveApp? FindOwned(HttpContext context, LiveApps live, string service, string stage, string? region)
    {
        var app = live.Get(service, stage, ApiResults.Region(region));
        return app is not null && app.AppStage.Tenant == TenantContext.Of(context) ? app : null;
    }

    internal static IResult AppNotFound(string service, string stage, string? region)
        => ApiResults.NotFound($"No app '{service}' is deployed to stage '{stage}' in region '{ApiResults.Region(region)}'");

    private static async Task<IResult> GetAsync(HttpContext context, string service, string stage, string? region,
        IFerryStore store, LiveApps live, BucketEndpointService bucketEndpoint, AppResources resources, CancellationToken cancellationToken)
    {
        if (FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppNotFound(service, stage, region);
        }

        var revisions = await store.ListRevisionsAsync(app.AppStage.Id, cancellationToken);
        return Results.Json(AppViews.Info(app, revisions, ApiResults.BaseUrl(context.Request), bucketEndpoint.Address, resources.DatabaseEngine), ApiJson.Options);
    }

    /// <summary>Stops and deletes the app stage; its buckets, databases and queues are kept unless <paramref name="deleteData"/>.</summary>
    private static async Task<IResult> RemoveAsync(HttpContext context, string service, string stage, string? region, bool? deleteData,
        IFerryStore store, LiveApps live, AppResources resources, Domains.CustomDomainService domains, CancellationToken cancellationToken)
    {
        if (FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppNotFound(service, stage, region);
        }

        if (deleteData == true && resources.UsersOfDatabases(app) is { Count: > 0 } users)
        {
            // Their functions would lose the files (or role) under them.
            return ApiResults.Error(StatusCodes.Status409Conflict, "database_in_use",
                $"The databases of {service} (stage {stage}) are used by {string.Join(", ", users)}; remove those first, or remove {service} without --delete-data");
        }

        live.Deactivate(service, stage, app.AppStage.Region);
        await store.DeleteAppStageAsync(app.AppStage.Id, cancellationToken);
        await domains.ReloadAsync(cancellationToken); // its custom domains went with it
        var deleted = await resources.ReleaseAsync(app.AppStage.Tenant, app.Manifest, deleteData == true, cancellationToken);
        var kept = deleteData == true
            ? []
            : app.Manifest.Buckets.Select(b => $"bucket {b.Name}").Concat(app.Manifest.Databases.Where(d => d.Use is null).Select(d => $"database {d.Name}"))
                .Concat(app.Manifest.Queues.Select(q => $"queue {q.Name}")).ToList();
        return Results.Json(new RemoveResult(deleted, kept), ApiJson.Options);
    }

    private static async Task<IResult> InvokeAsync(HttpContext context, string service, string stage, string function, string? region,
        LiveApps live, Runtime.RuntimeOptions runtimeOptions, CancellationToken cancellationToken)
    {
        if (FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppNotFound(service, stage, region);
        }

        if (!app.Deployed.Pools.TryGetValue(function, out var pool))
        {
            return ApiResults.NotFound($"'{service}' has no function '{function}' (it has {string.Join(", ", app.Deployed.Pools.Keys)})");
        }

        if (pool.Function.Function.Kind == FunctionKind.Web)
        {
            return ApiResults.Error(StatusCodes.Status409Conflict, "not_invokable",
                $"'{function}' is a web function; call it over HTTP at its routes instead");
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, cancellationToken);
        if (body.Length > runtimeOptions.MaxPayloadBytes)
        {
            return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
                $"The event is larger than the {runtimeOptions.MaxPayloadBytes / (1024 * 1024)} MiB an event function accepts");
        }

        var payload = body.Length == 0 ? "{}"u8.ToArray() : body.ToArray();
        var requestId = RequestId.New();
        var invoked = await pool.InvokeAsync(requestId, payload, cancellationToken);
        if (!invoked.Succeeded)
        {
            var error = invoked.Error;
            return error.Kind switch
            {
                PoolErrorKind.StartFailed => ApiResults.Error(StatusCodes.Status502BadGateway, "instance_start_failed", $"{function} could not start: {error.Message}"),
                PoolErrorKind.QuotaExceeded when error.QuotaRefusal is { } refusal => ApiResults.Error(refusal.StatusCode, "quota_exceeded", refusal.Message),
                _ => ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "no_instance", error.Message),
            };
        }

        var result = invoked.Value;
        context.Response.Headers["X-Ferry-Request-Id"] = requestId;
        if (!result.Succeeded)
        {
            context.Response.Headers["X-Ferry-Function-Error"] = "Unhandled";
        }

        return Results.Bytes(result.Payload.ToArray(), "application/json");
    }
}
