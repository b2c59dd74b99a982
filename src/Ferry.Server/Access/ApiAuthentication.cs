using System.Collections.Concurrent;
using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Access;

/// <summary>
/// Every <c>/api</c> request must carry <c>Authorization: Bearer TOKEN</c>; the token decides the tenant and roles.
/// Lookups are cached for a few seconds (a revoked token stops working within that time on other nodes; at once on
/// this one). <c>/metrics</c> needs an admin token (it names every tenant's services). Function URLs served by the
/// gateway are public, like API Gateway routes without an authorizer.
/// </summary>
public sealed class ApiAuthentication(IAccessStore store, TimeProvider time, LocalInstallerCredential localInstaller)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var isMetrics = context.Request.Path.Equals("/metrics", StringComparison.Ordinal);
        if (!context.Request.Path.StartsWithSegments("/api") && !isMetrics)
        {
            await next(context);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "unauthenticated",
                "This API needs a token: send 'Authorization: Bearer TOKEN' (the CLI reads FERRY_TOKEN)").ExecuteAsync(context);
            return;
        }

        var caller = await ResolveAsync(header["Bearer ".Length..].Trim(), context.RequestAborted);
        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "invalid_token", "The token is unknown or was revoked").ExecuteAsync(context);
            return;
        }

        if (isMetrics && !caller.IsAdmin)
        {
            // Metrics span every tenant's services: only operators (admin tokens) may scrape them.
            await ApiResults.Error(StatusCodes.Status403Forbidden, "forbidden", "/metrics needs an admin token").ExecuteAsync(context);
            return;
        }

        context.SetCaller(caller);
        await next(context);
    }

    /// <summary>The caller a bearer token stands for, or null when it is unknown or revoked.</summary>
    public async Task<Caller?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (!TokenSecret.LooksValid(token))
        {
            return null;
        }

        if (localInstaller.Matches(token))
        {
            return localInstaller.Caller;
        }

        var hash = TokenSecret.Hash(token);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.Until > now)
        {
            return cached.Caller;
        }

        var stored = await store.FindActiveTokenAsync(hash, cancellationToken);
        var caller = stored is null ? null : new Caller(stored.Tenant, stored.Roles, stored.Id, stored.Name);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[hash] = (caller, now + CacheFor);
        return caller;
    }

    /// <summary>Forgets cached lookups (after a revocation on this node).</summary>
    public void Invalidate() => _cache.Clear();
}

public static class RoleRequirements
{
    /// <summary>Only callers with one of <paramref name="roles"/> (or admins) reach the endpoints; others get 403.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params Role[] roles)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var caller = context.HttpContext.GetCaller();
            if (!caller.HasAny(roles))
            {
                return ApiResults.Error(StatusCodes.Status403Forbidden, "forbidden",
                    $"This needs the role {string.Join(" or ", roles.Select(r => r.ToString().ToLowerInvariant()))}; the token '{caller.TokenName}' has {string.Join(", ", caller.Roles.Select(r => r.ToString().ToLowerInvariant()))}");
            }

            return await next(context);
        });
        return builder;
    }
}
