using System.Globalization;
using System.Text.Json;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api;

/// <summary>Logs of an app stage: a query, and a live stream (ndjson) that resumes after a given line id.</summary>
internal static class LogEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapLogEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/apps/{service}/{stage}/logs", QueryAsync);
        api.MapGet("/apps/{service}/{stage}/logs/stream", StreamAsync);
    }

    private static async Task<IResult> QueryAsync(HttpContext context, string service, string stage, string? region, string? function,
        long? after, string? since, string? contains, int? limit, IFerryStore store, LiveApps live, CancellationToken cancellationToken)
    {
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppEndpoints.AppNotFound(service, stage, region);
        }

        DateTimeOffset? sinceTime = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return ApiResults.BadRequest($"'since' must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got '{since}'");
            }

            sinceTime = parsed;
        }

        var query = new LogQuery(app.AppStage.Id, function, after, sinceTime, contains, Math.Clamp(limit ?? 1000, 1, 10_000));
        var entries = await store.QueryLogsAsync(query, cancellationToken);
        return Results.Json(entries.Select(AppViews.Line).ToList(), ApiJson.Options);
    }

    private static async Task StreamAsync(HttpContext context, string service, string stage, string? region, string? function,
        long? after, IFerryStore store, LiveApps live, LogPipeline logs)
    {
        var cancellationToken = context.RequestAborted;
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            await AppEndpoints.AppNotFound(service, stage, region).ExecuteAsync(context);
            return;
        }

        // Subscribe before reading the backlog so nothing stored in between is missed; duplicates are skipped by id.
        using var subscription = logs.Subscribe(app.AppStage.Id, function);
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.StartAsync(cancellationToken);

        var lastId = after ?? long.MaxValue;
        if (after is not null)
        {
            while (true)
            {
                var backlog = await store.QueryLogsAsync(new LogQuery(app.AppStage.Id, function, lastId, Limit: 1000), cancellationToken);
                foreach (var entry in backlog)
                {
                    await WriteLineAsync(context, entry, cancellationToken);
                    lastId = entry.Id;
                }

                if (backlog.Count < 1000)
                {
                    break;
                }
            }

            await context.Response.Body.FlushAsync(cancellationToken);
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(KeepAlive);
                bool more;
                try
                {
                    more = await subscription.Entries.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
                    await context.Response.Body.FlushAsync(cancellationToken);
                    continue;
                }

                if (!more)
                {
                    break;
                }

                while (subscription.Entries.TryRead(out var entry))
                {
                    if (lastId != long.MaxValue && entry.Id <= lastId)
                    {
                        continue;
                    }

                    await WriteLineAsync(context, entry, cancellationToken);
                    lastId = entry.Id;
                }

                await context.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client stopped tailing.
        }
    }

    private static async Task WriteLineAsync(HttpContext context, LogEntry entry, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(context.Response.Body, AppViews.Line(entry), ApiJson.Options, cancellationToken);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
    }
}
