using System.Text;
using System.Text.Json;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Triggers.Async;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Lambda;

/// <summary>
///   GET /api/v1/apps/{service}/{stage}/dead-letters?region=R&amp;function=F&amp;limit=N -> DeadLetterInfo[] (newest first):
///   asynchronous events (Event invocations, schedules) whose every attempt failed or that expired.
/// </summary>
internal static class DeadLetterEndpoints
{
    public static void MapDeadLetterEndpoints(this IEndpointRouteBuilder api)
        => api.MapGet("/apps/{service}/{stage}/dead-letters", ListAsync);

    private static async Task<IResult> ListAsync(HttpContext context, string service, string stage, string? region, string? function, int? limit,
        LiveApps live, IAsyncEventQueue queue, CancellationToken cancellationToken)
    {
        if (AppEndpoints.FindOwned(context, live, service, stage, region) is not { } app)
        {
            return AppEndpoints.AppNotFound(service, stage, region);
        }

        var letters = await queue.ListDeadLettersAsync(app.AppStage.Id, function, limit ?? 100, cancellationToken);
        var infos = letters.Select(l => new DeadLetterInfo(l.RequestId, l.Target.Function, AsJson(l.Payload), l.Error, l.Attempts, l.EnqueuedAt, l.FailedAt));
        return Results.Json(infos.ToList(), ApiJson.Options);
    }

    /// <summary>The event as JSON (events are checked to be JSON when accepted; anything else is shown as a string).</summary>
    private static JsonElement AsJson(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(payload.Span));
        }
    }
}

/// <param name="Payload">The event, as JSON.</param>
/// <param name="FailedAt">When the event went to the dead letters.</param>
public sealed record DeadLetterInfo(
    string RequestId,
    string Function,
    JsonElement Payload,
    string Error,
    int Attempts,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset FailedAt);
