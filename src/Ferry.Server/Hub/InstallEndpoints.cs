using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Hub;

/// <summary>Consumer side: hubs to install from, installs, upgrades and rollbacks.</summary>
internal static class InstallEndpoints
{
    public static void MapInstallEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/hubs", async (HttpContext context, IHubStore hubs, CancellationToken ct) =>
        {
            var list = new List<HubInfo> { new(InstallService.LocalHub, ApiResults.BaseUrl(context.Request)) };
            list.AddRange((await hubs.ListHubsAsync(context.GetCaller().Tenant, ct)).Select(h => new HubInfo(h.Name, h.Url)));
            return Results.Json(list, ApiJson.Options);
        });

        api.MapPost("/hubs", async (AddHubRequest request, HttpContext context, IHubStore hubs, HubTokenProtector protector, FerryServerOptions options, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name == InstallService.LocalHub || request.Name.Length > 40
                || !request.Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_name", $"A hub name is up to 40 letters, digits or '-', and not '{InstallService.LocalHub}'");
            }

            if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_url", $"'{request.Url}' is not an http(s) URL");
            }

            if (!TokenSecret.LooksValid(request.Token ?? ""))
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_token", "The hub token must be a Ferry API token (fry_…)");
            }

            var caller = context.GetCaller();
            var privateAllowed = caller.IsAdmin; // an admin vouches for the address
            if (!privateAllowed && !options.AllowPrivateHubs && !HubAddressRules.MayBePublic(url))
            {
                return ApiResults.Error(StatusCodes.Status403Forbidden, "hub_address_refused", $"The hub URL is refused: {HubAddressRules.RefusedMessage}");
            }

            await hubs.SaveHubAsync(caller.Tenant, request.Name, url.GetLeftPart(UriPartial.Authority), protector.Protect(request.Token!), privateAllowed, ct);
            return Results.Json(new HubInfo(request.Name, url.GetLeftPart(UriPartial.Authority)), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }).RequireAuthorization(AccessPolicies.Apps);

        api.MapGet("/installs", (HttpContext context, InstallService installs, CancellationToken ct)
            => Run(context, async (caller, self, baseUrl) => Results.Json(await installs.ListAsync(caller, self, baseUrl, ct), ApiJson.Options)));

        api.MapPost("/installs", (InstallRequest request, HttpContext context, InstallService installs, CancellationToken ct)
            => Run(context, async (caller, self, baseUrl) =>
            {
                if (string.IsNullOrWhiteSpace(request.Template))
                {
                    return ApiResults.BadRequest("Name the template to install, e.g. {\"template\":\"todo-api@1.0.0\"}");
                }

                var installed = await installs.InstallAsync(caller, self, request, baseUrl, ct);
                return Results.Json(installed, ApiJson.Options, statusCode: StatusCodes.Status201Created);
            }));

        api.MapPost("/installs/{service}/{stage}/upgrade", (string service, string stage, string? region, UpgradeRequest? request,
                HttpContext context, LiveApps live, InstallService installs, CancellationToken ct)
            => Run(context, async (caller, self, baseUrl) =>
                AppEndpoints.FindOwned(context, live, service, stage, region) is { } app
                    ? Results.Json(await installs.UpgradeAsync(caller, self, app, request ?? new UpgradeRequest(null, null), baseUrl, ct), ApiJson.Options)
                    : AppEndpoints.AppNotFound(service, stage, region)));

        api.MapPost("/installs/{service}/{stage}/rollback", (string service, string stage, string? region,
                HttpContext context, LiveApps live, InstallService installs, CancellationToken ct)
            => Run(context, async (caller, self, baseUrl) =>
                AppEndpoints.FindOwned(context, live, service, stage, region) is { } app
                    ? Results.Json(await installs.RollbackAsync(caller, self, app, baseUrl, ct), ApiJson.Options)
                    : AppEndpoints.AppNotFound(service, stage, region)));
    }

    /// <summary>Runs an install action with the caller's identity and maps hub/deploy failures to API errors.</summary>
    private static async Task<IResult> Run(HttpContext context, Func<Caller, Uri, string, Task<IResult>> action)
    {
        var baseUrl = ApiResults.BaseUrl(context.Request);
        try
        {
            return await action(context.GetCaller(), new Uri(baseUrl), baseUrl);
        }
        catch (HubException ex)
        {
            return ApiResults.Error(ex.StatusCode, ex.Code, ex.Message, ex.Details);
        }
        catch (DeploymentException ex)
        {
            return ApiResults.Error(ex.StatusCode, ex.Code, ex.Message, ex.Details);
        }
    }
}
