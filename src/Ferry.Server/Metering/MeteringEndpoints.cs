using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Metering;

/// <summary>Usage and cost of the caller's tenant (admins: of any tenant), and error statistics of an app stage.</summary>
internal static class MeteringEndpoints
{
    private static readonly TimeSpan DefaultErrorWindow = TimeSpan.FromHours(24);
    private const int DefaultErrorGroups = 50;
    private const int MaxErrorGroups = 1000;

    public static void MapMeteringEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/usage", UsageAsync);
        api.MapGet("/apps/{service}/{stage}/errors", ErrorsAsync);
    }

    private static async Task<IResult> UsageAsync(HttpContext context, string? from, string? to, string? tenant,
        IFerryStore store, PriceTable prices, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        var billed = string.IsNullOrEmpty(tenant) ? caller.Tenant : tenant;
        if (billed != caller.Tenant && !caller.IsAdmin)
        {
            return ApiResults.Error(StatusCodes.Status403Forbidden, "forbidden",
                $"Only admins see the usage of other tenants; the token '{caller.TokenName}' belongs to tenant '{caller.Tenant}'");
        }

        if (!TimeWindow.TryParse("from", from, out var fromTime, out var error) || !TimeWindow.TryParse("to", to, out var toTime, out error))
        {
            return ApiResults.BadRequest(error);
        }

        var end = toTime ?? TimeWindow.MonthOf(time.GetUtcNow()).To;
        var start = fromTime ?? TimeWindow.MonthOf(end.AddTicks(-1)).From;
        if (start >= end)
        {
            return ApiResults.BadRequest($"The usage period must start before it ends; got from {start:O} to {end:O}");
        }

        var rows = await store.QueryUsageAsync(billed, start, end, cancellationToken);
        return Results.Json(UsageCalculator.Report(billed, start, end, rows, prices), ApiJson.Options);
    }

    private static async Task<IResult> ErrorsAsync(HttpContext context, string service, string stage, string? region, string? since, int? limit,
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
        var start = sinceTime ?? until - DefaultErrorWindow;
        var stats = await store.QueryFunctionStatsAsync(app.AppStage.Id, start, cancellationToken);
        var groups = await store.QueryErrorGroupsAsync(
            app.AppStage.Id, start, Math.Clamp(limit ?? DefaultErrorGroups, 1, MaxErrorGroups), cancellationToken);

        var appStage = app.AppStage;
        return Results.Json(
            new ErrorReport(appStage.Service, appStage.Stage, appStage.Region, start, until,
                FunctionStatistics(app.Manifest.Functions.Select(f => f.Name), stats), [.. groups.Select(Info)]),
            ApiJson.Options);
    }

    /// <summary>
    /// One line per function of the served revision (zeros when it was not invoked), plus functions of earlier
    /// revisions that were invoked in the window.
    /// </summary>
    private static IReadOnlyList<FunctionStatsInfo> FunctionStatistics(IEnumerable<string> deployedFunctions, IReadOnlyList<FunctionStats> stats)
    {
        var byName = stats.ToDictionary(s => s.Function, StringComparer.Ordinal);
        return deployedFunctions.Union(byName.Keys, StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(name => byName.TryGetValue(name, out var s)
                ? new FunctionStatsInfo(name, s.Invocations, s.Errors, (double)s.Errors / s.Invocations, s.ColdStarts,
                    s.P50DurationMs, s.P95DurationMs, s.MaxDurationMs)
                : new FunctionStatsInfo(name, 0, 0, 0, 0, null, null, null))
            .ToList();
    }

    private static ErrorGroupInfo Info(ErrorGroup group)
        => new(group.Function, group.Status, group.Error, group.Count, group.FirstSeen, group.LastSeen, group.LastRequestId);
}
