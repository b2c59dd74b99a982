using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Completes the CORS settings of routes the way the Serverless Framework compiles them:
/// <list type="bullet">
/// <item><c>provider.httpApi.cors</c> applies to every <c>httpApi</c> route; without <c>allowedMethods</c> it allows
/// the methods the routes use (<c>*</c> when a route accepts any method).</item>
/// <item>An <c>http</c> path has one OPTIONS answer: the <c>cors</c> settings of the events on that path are merged
/// (methods, origins and headers joined, with OPTIONS among the methods; credentials allowed if any event allows them).</item>
/// </list>
/// </summary>
internal static class CorsRoutes
{
    public static List<FunctionManifest> Apply(List<FunctionManifest> functions, CorsSettings? httpApiCors)
    {
        var routes = functions.SelectMany(f => f.Routes).ToList();
        var httpApi = httpApiCors is null ? null : WithRouteMethods(httpApiCors, routes.Where(r => r.PayloadFormat == HttpRoute.PayloadV2));
        var restByPath = routes
            .Where(r => r.PayloadFormat == HttpRoute.PayloadV1 && r.Cors is not null)
            .GroupBy(r => PathKey(r.Path), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => Merge([.. group]), StringComparer.Ordinal);
        if (httpApi is null && restByPath.Count == 0)
        {
            return functions;
        }

        return [.. functions.Select(function => function with
        {
            Routes = [.. function.Routes.Select(route => route.PayloadFormat == HttpRoute.PayloadV2
                ? route with { Cors = httpApi }
                : route.Cors is null ? route : route with { Cors = restByPath[PathKey(route.Path)] })],
        })];
    }

    private static CorsSettings WithRouteMethods(CorsSettings cors, IEnumerable<HttpRoute> routes)
    {
        if (cors.AllowedMethods.Count > 0)
        {
            return cors;
        }

        var methods = routes.Select(r => r.Method).Distinct(StringComparer.Ordinal).ToList();
        return cors with
        {
            AllowedMethods = methods.Contains(RouteSyntax.AnyMethod) ? [RouteSyntax.AnyMethod] : [.. methods.Append("OPTIONS").Distinct().Order(StringComparer.Ordinal)],
        };
    }

    private static CorsSettings Merge(IReadOnlyList<HttpRoute> routes)
    {
        var settings = routes.Select(r => r.Cors!).ToList();
        var methods = routes.SelectMany(r => r.Cors!.AllowedMethods.Count > 0 ? r.Cors.AllowedMethods : [r.Method]).Append("OPTIONS").ToList();
        return new CorsSettings
        {
            AllowedOrigins = [.. settings.SelectMany(s => s.AllowedOrigins).Distinct(StringComparer.Ordinal)],
            AllowedHeaders = [.. settings.SelectMany(s => s.AllowedHeaders).Distinct(StringComparer.OrdinalIgnoreCase)],
            AllowedMethods = methods.Contains(RouteSyntax.AnyMethod)
                ? [RouteSyntax.AnyMethod]
                : [.. methods.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            AllowCredentials = settings.Any(s => s.AllowCredentials),
            MaxAge = settings.Max(s => s.MaxAge),
            CacheControl = settings.Select(s => s.CacheControl).FirstOrDefault(c => c is not null),
        };
    }

    private static string PathKey(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
