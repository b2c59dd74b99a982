using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Server.Metering;
using Ferry.Server.WebConsole;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.FileProviders;

// In the host's namespace, so FerryServerHost calls this without a using.
namespace Ferry.Server;

/// <summary>
/// The web console: static files under <c>/console/</c> (no token needed to load them; every screen signs in and calls
/// the REST API with the user's token), and the one API endpoint the console needed that the API lacked: invocations
/// over time for the chart.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string BasePath = "/console";

    private static readonly TimeSpan DefaultTimelineWindow = TimeSpan.FromHours(24);

    /// <summary>Reading more invocations than this for one chart would be slow; the answer says it is truncated.</summary>
    private const int MaxInvocationsRead = 100_000;

    /// <summary>
    /// Strict by design: the console holds a token, so only its own scripts and styles run, and it is never framed.
    /// Function URLs are on the same origin but open in their own tab.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Maps <c>GET /console/…</c> on <paramref name="app"/> and the timeline endpoint on <paramref name="api"/> (the authorized apps group).</summary>
    public static void MapFerryConsole(this WebApplication app, IEndpointRouteBuilder api)
    {
        var assets = ConsoleAssets.Load(new ManifestEmbeddedFileProvider(typeof(ConsoleEndpoints).Assembly, ConsoleAssets.Root));
        // Also matches "/console" itself (routing ignores a trailing slash), which Serve redirects.
        app.MapGet(BasePath + "/{**path}", (string? path, HttpContext context) => Serve(assets, path, context));
        api.MapGet("/apps/{service}/{stage}/timeline", TimelineAsync);
    }

    private static IResult Serve(ConsoleAssets assets, string? path, HttpContext context)
    {
        if (string.IsNullOrEmpty(path) && context.Request.Path.Value?.EndsWith('/') != true)
        {
            // Relative links in index.html (js/main.js, console.css) resolve against "/console/".
            return Results.Redirect(BasePath + "/");
        }

        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (assets.Find(path) is not { } asset)
        {
            // Screens live in the URL fragment (#/apps/…), so an unknown path is a wrong link, not a screen.
            return Results.Text($"No console file '{path}'; the console starts at {BasePath}/", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        }

        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        // Revalidate every time (cheap: 304 by ETag), so a server upgrade never mixes old and new modules.
        headers.CacheControl = "no-cache";
        return Results.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }

    private static async Task<IResult> TimelineAsync(HttpContext context, string service, string stage, string? region, string? since, int? buckets,
        IFerryStore store, LiveApps live, TimeProvider time, CancellationToken cancellationToken)
    {
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppEndpoints.AppNotFound(service, stage, region);
        }

        if (!TimeWindow.TryParse("since", since, out var sinceTime, out var error))
        {
            return ApiResults.BadRequest(error);
        }

        var until = time.GetUtcNow();
        var start = sinceTime ?? until - DefaultTimelineWindow;
        if (start >= until)
        {
            return ApiResults.BadRequest($"'since' must be in the past; got {start:O}, and it is now {until:O}");
        }

        var count = buckets ?? InvocationTimelineBuilder.DefaultBuckets;
        if (count is < 1 or > InvocationTimelineBuilder.MaxBuckets)
        {
            return ApiResults.BadRequest($"'buckets' must be between 1 and {InvocationTimelineBuilder.MaxBuckets}, got {count}");
        }

        var invocations = await store.QueryInvocationsAsync(app.AppStage.Id, null, start, MaxInvocationsRead, cancellationToken);
        var (bucketSeconds, timeline) = InvocationTimelineBuilder.Build(invocations, start, until, count);
        var appStage = app.AppStage;
        return Results.Json(new InvocationTimeline(appStage.Service, appStage.Stage, appStage.Region, start, until, bucketSeconds,
            invocations.Count >= MaxInvocationsRead, timeline), ApiJson.Options);
    }
}
