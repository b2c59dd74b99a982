using Ferry.Manifest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// CORS as API Gateway does it. A browser's preflight to a route with <see cref="CorsSettings"/> is answered by the
/// gateway without invoking the function: <c>204</c> for an HTTP API (<c>httpApi</c>), <c>200</c> from the OPTIONS mock
/// the Serverless Framework creates for a REST API (<c>http</c>). On an HTTP API the gateway also sets the CORS headers
/// of every response to a cross-origin request, replacing any the function set; a REST API leaves the function's
/// response alone (with <c>cors: true</c> the function adds the headers itself, as on AWS).
/// </summary>
internal static class CorsResponder
{
    private const string AnyOrigin = "*";
    private const string AnyMethod = "*";

    /// <summary>What an <c>http</c> route that accepts any method allows: the methods a REST API knows.</summary>
    private const string RestApiMethods = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";

    /// <summary>An <c>OPTIONS</c> request with <c>Origin</c> and <c>Access-Control-Request-Method</c>.</summary>
    public static bool IsPreflight(HttpRequest request, out string requestedMethod)
    {
        requestedMethod = request.Headers.AccessControlRequestMethod.ToString();
        return HttpMethods.IsOptions(request.Method) && requestedMethod.Length > 0 && !StringValues.IsNullOrEmpty(request.Headers.Origin);
    }

    public static Task WritePreflightAsync(HttpContext context, HttpRoute route)
    {
        var cors = route.Cors!;
        var response = context.Response;
        var origin = context.Request.Headers.Origin.ToString();
        if (route.PayloadFormat == HttpRoute.PayloadV1)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.Headers.AccessControlAllowOrigin = RestApiOrigin(cors, origin);
            if (cors.AllowedOrigins.Count > 1)
            {
                response.Headers.Vary = "Origin";
            }

            response.Headers.AccessControlAllowHeaders = string.Join(',', cors.AllowedHeaders);
            response.Headers.AccessControlAllowMethods = cors.AllowedMethods.Contains(AnyMethod) ? RestApiMethods : string.Join(',', cors.AllowedMethods);
            if (cors.AllowCredentials)
            {
                response.Headers.AccessControlAllowCredentials = "true";
            }

            if (cors.MaxAge is { } restMaxAge)
            {
                response.Headers.AccessControlMaxAge = restMaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (cors.CacheControl is { } cacheControl)
            {
                response.Headers.CacheControl = cacheControl;
            }

            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status204NoContent;
        if (!SetOrigin(response, cors, origin))
        {
            return Task.CompletedTask;
        }

        var requestedHeaders = context.Request.Headers.AccessControlRequestHeaders.ToString();
        response.Headers.AccessControlAllowMethods = cors.AllowedMethods.Contains(AnyMethod) && cors.AllowCredentials
            ? context.Request.Headers.AccessControlRequestMethod.ToString()
            : string.Join(',', cors.AllowedMethods);
        var allowHeaders = cors.AllowedHeaders.Contains("*") && cors.AllowCredentials ? requestedHeaders : string.Join(',', cors.AllowedHeaders);
        if (allowHeaders.Length > 0)
        {
            response.Headers.AccessControlAllowHeaders = allowHeaders;
        }

        if (cors.MaxAge is { } maxAge)
        {
            response.Headers.AccessControlMaxAge = maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// For a request to an HTTP API route with CORS settings: when the response starts, drops the function's own
    /// <c>Access-Control-*</c> headers and, for a request from an allowed origin, sets the configured ones.
    /// </summary>
    public static void ApplyToResponse(HttpContext context, CorsSettings cors)
    {
        var origin = context.Request.Headers.Origin.ToString();
        context.Response.OnStarting(() =>
        {
            var response = context.Response;
            foreach (var header in response.Headers.Keys.Where(IsCorsHeader).ToList())
            {
                response.Headers.Remove(header);
            }

            if (origin.Length > 0 && SetOrigin(response, cors, origin) && cors.ExposedHeaders.Count > 0)
            {
                response.Headers.AccessControlExposeHeaders = string.Join(',', cors.ExposedHeaders);
            }

            return Task.CompletedTask;
        });
    }

    private static bool IsCorsHeader(string name) => name.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Sets Allow-Origin (and Allow-Credentials) for an allowed origin; false when the origin is not allowed.</summary>
    private static bool SetOrigin(HttpResponse response, CorsSettings cors, string origin)
    {
        if (!cors.AllowedOrigins.Any(allowed => OriginMatches(allowed, origin)))
        {
            return false;
        }

        if (cors.AllowedOrigins.Contains(AnyOrigin) && !cors.AllowCredentials)
        {
            response.Headers.AccessControlAllowOrigin = AnyOrigin;
        }
        else
        {
            response.Headers.AccessControlAllowOrigin = origin;
            response.Headers.Append("Vary", "Origin");
        }

        if (cors.AllowCredentials)
        {
            response.Headers.AccessControlAllowCredentials = "true";
        }

        return true;
    }

    /// <summary>
    /// The REST API OPTIONS mock's Allow-Origin: its one origin, or with several the request's origin when it is among
    /// them (else the first), as the Serverless Framework's mapping template does.
    /// </summary>
    private static string RestApiOrigin(CorsSettings cors, string origin)
    {
        if (cors.AllowedOrigins.Count == 1)
        {
            return cors.AllowedOrigins[0];
        }

        return cors.AllowedOrigins.Any(allowed => OriginMatches(allowed, origin)) ? origin : cors.AllowedOrigins[0];
    }

    /// <summary><c>*</c> matches any origin; <c>https://*.example.com</c> any subdomain; otherwise origins compare case-insensitively.</summary>
    internal static bool OriginMatches(string allowed, string origin)
    {
        if (allowed == AnyOrigin)
        {
            return true;
        }

        var star = allowed.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(allowed.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase);
        }

        var prefix = allowed[..star];
        var suffix = allowed[(star + 1)..];
        return origin.Length > prefix.Length + suffix.Length
            && origin.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && origin.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }
}
