namespace Ferry.Manifest;

/// <summary>
/// The CORS settings of a route, from <c>provider.httpApi.cors</c> (for every <c>httpApi</c> route) or an <c>http</c>
/// event's <c>cors</c>. On an <c>httpApi</c> route the gateway answers preflights and adds the headers to every response
/// (an HTTP API replaces the function's own CORS headers); on an <c>http</c> route it only answers preflights, like the
/// OPTIONS mock the Serverless Framework creates for a REST API, and the function adds the headers to its responses.
/// </summary>
public sealed record CorsSettings
{
    /// <summary>The headers <c>cors: true</c> allows, as the Serverless Framework sets them.</summary>
    public static IReadOnlyList<string> DefaultHeaders { get; } =
        ["Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"];

    /// <summary>Origins such as <c>https://app.example.com</c>, <c>*</c> for any, or <c>https://*.example.com</c>.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = ["*"];

    public IReadOnlyList<string> AllowedHeaders { get; init; } = DefaultHeaders;

    /// <summary>Upper-case methods, or <c>*</c>; filled from the routes when not written.</summary>
    public IReadOnlyList<string> AllowedMethods { get; init; } = [];

    public bool AllowCredentials { get; init; }

    /// <summary>Response headers a browser script may read (<c>exposedResponseHeaders</c>; HTTP API only).</summary>
    public IReadOnlyList<string> ExposedHeaders { get; init; } = [];

    /// <summary>Seconds a browser may cache a preflight answer.</summary>
    public int? MaxAge { get; init; }

    /// <summary>A <c>Cache-Control</c> value for the preflight answer (<c>http</c> events' <c>cacheControl</c>).</summary>
    public string? CacheControl { get; init; }
}

/// <summary>
/// An API key of <c>provider.apiGateway.apiKeys</c>: deploying creates it for the app stage unless a key of that name
/// exists. Without a value, Ferry generates one and shows it once in the deploy output.
/// </summary>
public sealed record ApiKeyDeclaration(string Name, string? Value = null);
