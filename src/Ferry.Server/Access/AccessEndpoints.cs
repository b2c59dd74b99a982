using System.Text.RegularExpressions;
using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Access;

/// <summary>Tenants, tokens and "who am I".</summary>
internal static partial class AccessEndpoints
{
    [GeneratedRegex("^[a-z][a-z0-9-]{1,39}$")]
    private static partial Regex TenantName();

    public static void MapAccessEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/whoami", (HttpContext context) =>
        {
            var caller = context.GetCaller();
            return Results.Json(new WhoAmI(caller.Tenant, [.. caller.Roles.Select(Name)], caller.TokenName), ApiJson.Options);
        });

        api.MapPost("/access-keys", async (HttpContext context, IAccessStore store, CancellationToken ct) =>
        {
            var caller = context.GetCaller();
            var (id, secret) = AccessKeySecret.Generate();
            await store.CreateAccessKeyAsync(caller.TokenId, id, secret, ct);
            return Results.Json(new CreatedAccessKey(id, secret), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/tenants", async (IAccessStore store, CancellationToken ct) =>
            Results.Json((await store.ListTenantsAsync(ct)).Select(t => new TenantInfo(t.Name, t.CreatedAt)).ToList(), ApiJson.Options))
            .RequireAuthorization(AccessPolicies.Admin);

        api.MapPost("/tenants", async (CreateTenantRequest request, IAccessStore store, CancellationToken ct) =>
        {
            if (request.Name is null || !TenantName().IsMatch(request.Name))
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_name",
                    $"A tenant name is 2-40 lowercase letters, digits or '-', starting with a letter; got '{request.Name}'");
            }

            if (!await store.CreateTenantAsync(request.Name, ct))
            {
                return ApiResults.Error(StatusCodes.Status409Conflict, "tenant_exists", $"The tenant '{request.Name}' already exists");
            }

            return Results.Json(new TenantInfo(request.Name, DateTimeOffset.UtcNow), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }).RequireAuthorization(AccessPolicies.Admin);

        api.MapGet("/tokens", async (HttpContext context, IAccessStore store, CancellationToken ct) =>
        {
            var caller = context.GetCaller();
            var tokens = await store.ListTokensAsync(caller.IsAdmin ? null : caller.Tenant, ct);
            return Results.Json(tokens.Select(Info).ToList(), ApiJson.Options);
        });

        api.MapPost("/tokens", async (CreateTokenRequest request, IAccessStore store, CancellationToken ct) =>
        {
            var roles = new List<Role>();
            foreach (var role in request.Roles ?? [])
            {
                if (!Enum.TryParse<Role>(role, ignoreCase: true, out var parsed) || int.TryParse(role, out _))
                {
                    return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_role",
                        $"Unknown role '{role}'; roles are admin, provider, reviewer, consumer, installer");
                }

                roles.Add(parsed);
            }

            if (roles.Count == 0 || string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_token_request",
                    "A token needs a name (up to 100 characters) and at least one role");
            }

            if (request.Tenant is null || !await store.TenantExistsAsync(request.Tenant, ct))
            {
                return ApiResults.NotFound($"No tenant '{request.Tenant}'; create it first with `ferry tenant create`");
            }

            var (token, hash, prefix) = TokenSecret.Generate();
            var stored = await store.CreateTokenAsync(request.Tenant, request.Name.Trim(), roles, hash, prefix, ct);
            return Results.Json(new CreatedToken(token, Info(stored)), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }).RequireAuthorization(AccessPolicies.Admin);

        api.MapDelete("/tokens/{id:long}", async (long id, IAccessStore store, BearerTokenResolver tokens, CancellationToken ct) =>
        {
            if (!await store.RevokeTokenAsync(id, null, ct))
            {
                return ApiResults.NotFound($"No active token with id {id}");
            }

            tokens.Invalidate();
            return Results.NoContent();
        }).RequireAuthorization(AccessPolicies.Admin);
    }

    private static string Name(Role role) => role.ToString().ToLowerInvariant();

    private static TokenInfo Info(ApiToken token)
        => new(token.Id, token.Tenant, token.Name, [.. token.Roles.Select(Name)], token.Prefix, token.CreatedAt, token.RevokedAt);
}
