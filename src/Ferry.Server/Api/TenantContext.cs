using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api;

/// <summary>Which tenant a request acts for. Until API tokens exist every request acts for the single default tenant.</summary>
internal static class TenantContext
{
    public const string DefaultTenant = "default";

    public static string Of(HttpContext context) => DefaultTenant;
}
