using Ferry.Manifest;
using Ferry.Server.Deployments;
using Ferry.Store;

namespace Ferry.Server.Api;

/// <summary>Builds the API's views of apps from what is being served.</summary>
internal static class AppViews
{
    public static string AppBaseUrl(string serverBaseUrl, string service, string stage, string region)
        => serverBaseUrl + Gateway.Routing.GatewayPath.BasePath(service, stage, region);

    public static IReadOnlyList<FunctionInfo> Functions(LiveApp app)
        => [.. app.Manifest.Functions.Select(f => new FunctionInfo(
            f.Name, f.Runtime, f.Kind == FunctionKind.Web ? "web" : "event", f.Handler, f.MemorySize, f.Timeout,
            app.Deployed.Pools.TryGetValue(f.Name, out var pool) ? pool.InstanceCount : 0))];

    public static IReadOnlyList<RouteInfo> Routes(ServiceManifest manifest, string appBaseUrl)
        => [.. manifest.Functions.SelectMany(f => f.Routes.Select(r => new RouteInfo(
            r.Method == "*" ? "ANY" : r.Method, r.Path, f.Name, r.Path == "*" ? appBaseUrl + "/" : appBaseUrl + r.Path)))];

    /// <param name="bucketEndpoint">The S3-compatible endpoint, when it runs.</param>
    /// <param name="databaseEngine">"sqlite" or "postgres".</param>
    public static AppInfo Info(LiveApp app, IReadOnlyList<Revision> revisions, string serverBaseUrl, Uri? bucketEndpoint, string databaseEngine)
    {
        var baseUrl = AppBaseUrl(serverBaseUrl, app.AppStage.Service, app.AppStage.Stage, app.AppStage.Region);
        IReadOnlyList<ResourceInfo> resources =
        [
            .. app.Manifest.Buckets.Select(b => new ResourceInfo("bucket", b.Name, bucketEndpoint is null ? "" : $"S3 endpoint {bucketEndpoint.ToString().TrimEnd('/')}")),
            .. app.Manifest.Databases.Select(d => new ResourceInfo("database", d.Name, d.Use is { } use ? $"{databaseEngine}, {use}" : databaseEngine)),
            .. app.Manifest.Queues.Select(q => new ResourceInfo("queue", q.Name, bucketEndpoint is null ? "" : $"SQS endpoint {bucketEndpoint.ToString().TrimEnd('/')}")),
        ];
        return new AppInfo(app.AppStage.Service, app.AppStage.Stage, app.AppStage.Region, app.Revision.Number, baseUrl,
            Functions(app), Routes(app.Manifest, baseUrl),
            [.. revisions.Select(r => new RevisionInfo(r.Number, r.ArtifactSha256, r.CreatedAt, r.Id == app.Revision.Id))],
            app.AppStage.UpdatedAt, resources);
    }

    public static LogLine Line(LogEntry entry)
        => new(entry.Id, entry.Time, entry.Function, entry.RequestId, entry.InstanceId, entry.Stream.ToString().ToLowerInvariant(), entry.Message);
}
