using Ferry.Store;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Access;

/// <summary>Who is calling the API: the tenant the token belongs to and what it may do.</summary>
public sealed record Caller(string Tenant, IReadOnlySet<Role> Roles, long TokenId, string TokenName)
{
    public bool IsAdmin => Roles.Contains(Role.Admin);

    public bool HasAny(IReadOnlyCollection<Role> roles) => IsAdmin || roles.Any(Roles.Contains);
}

public static class CallerHttpContextExtensions
{
    private static readonly object Key = new();

    public static Caller GetCaller(this HttpContext context)
        => context.Items[Key] as Caller ?? throw new InvalidOperationException("The request was not authenticated; the API authentication middleware must run first.");

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;
}
