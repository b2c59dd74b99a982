using Ferry.Server.Access;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api;

/// <summary>Which tenant a request acts for: the tenant of the caller's token.</summary>
internal static class TenantContext
{
    public static string Of(HttpContext context) => context.GetCaller().Tenant;
}
