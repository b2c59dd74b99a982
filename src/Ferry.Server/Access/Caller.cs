using System.Globalization;
using System.Security.Claims;
using Ferry.Store;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Access;

/// <summary>Who is calling the API: the tenant the token belongs to and what it may do.</summary>
public sealed record Caller(string Tenant, IReadOnlySet<Role> Roles, long TokenId, string TokenName)
{
    public bool IsAdmin => Roles.Contains(Role.Admin);

    public bool HasAny(IReadOnlyCollection<Role> roles) => IsAdmin || roles.Any(Roles.Contains);

    /// <summary>The principal an authentication scheme signs the request in as.</summary>
    public ClaimsPrincipal ToPrincipal(string authenticationScheme)
    {
        var claims = new List<Claim>
        {
            new(CallerClaims.Tenant, Tenant),
            new(CallerClaims.TokenId, TokenId.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
            new(ClaimTypes.Name, TokenName),
        };
        claims.AddRange(Roles.Select(role => new Claim(ClaimTypes.Role, CallerClaims.RoleName(role))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The caller a principal of a Ferry scheme stands for; null for anyone else (anonymous, foreign claims).</summary>
    public static Caller? FromPrincipal(ClaimsPrincipal principal)
    {
        if (principal.FindFirst(CallerClaims.Tenant)?.Value is not { } tenant
            || !long.TryParse(principal.FindFirst(CallerClaims.TokenId)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var tokenId))
        {
            return null;
        }

        var roles = new HashSet<Role>();
        foreach (var claim in principal.FindAll(ClaimTypes.Role))
        {
            if (Enum.TryParse<Role>(claim.Value, ignoreCase: true, out var role))
            {
                roles.Add(role);
            }
        }

        return new Caller(tenant, roles, tokenId, principal.FindFirst(ClaimTypes.Name)?.Value ?? "");
    }
}

/// <summary>The claims Ferry's authentication schemes put in a principal (besides name and roles).</summary>
public static class CallerClaims
{
    public const string Tenant = "ferry:tenant";
    public const string TokenId = "ferry:token_id";

    public static string RoleName(Role role) => role.ToString().ToLowerInvariant();
}

public static class CallerHttpContextExtensions
{
    private static readonly object Key = new();

    /// <summary>The caller of an endpoint that requires authorization (derived from <see cref="HttpContext.User"/>).</summary>
    public static Caller GetCaller(this HttpContext context)
    {
        if (context.Items[Key] is (ClaimsPrincipal principal, Caller caller) && ReferenceEquals(principal, context.User))
        {
            return caller;
        }

        var derived = Caller.FromPrincipal(context.User)
            ?? throw new InvalidOperationException("The request was not authenticated; the endpoint must require authorization (RequireAuthorization with an access policy).");
        context.Items[Key] = (context.User, derived);
        return derived;
    }
}
