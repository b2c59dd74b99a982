using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Server.Deployments;
using Ferry.Triggers.Async;

namespace Ferry.Server.Lambda;

/// <summary>Runs a queued event on the active revision of its function, through the function's instance pool.</summary>
internal sealed class LiveAppsEventTarget(LiveApps live) : IAsyncEventTarget
{
    public async Task<AsyncInvocationOutcome> InvokeAsync(AsyncEvent queued, CancellationToken cancellationToken)
    {
        var target = queued.Target;
        var app = live.Get(target.Service, target.Stage, target.Region);
        if (app is null || app.AppStage.Id != target.AppStageId || app.AppStage.Tenant != target.Tenant)
        {
            return AsyncInvocationOutcome.TargetGone("was removed");
        }

        if (!app.Deployed.Pools.TryGetValue(target.Function, out var pool))
        {
            return AsyncInvocationOutcome.Undeliverable(
                $"Function not found: revision {app.Revision.Number} of {target.Service}/{target.Stage} has no function '{target.Function}'");
        }

        if (pool.Function.Function.Kind == FunctionKind.Web)
        {
            return AsyncInvocationOutcome.Undeliverable($"'{target.Function}' is a web function; it cannot take events");
        }

        var settings = pool.Function.Function.AsyncInvocation;
        var retry = settings.MaximumRetryAttempts is null && settings.MaximumEventAgeSeconds is null
            ? null
            : new RetryOverrides(settings.MaximumRetryAttempts, settings.MaximumEventAgeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        if (retry?.MaximumEventAge is { } maximumAge && DateTimeOffset.UtcNow - queued.EnqueuedAt > maximumAge)
        {
            return AsyncInvocationOutcome.Undeliverable(
                $"The event expired: it was not delivered within the function's maximumEventAge of {maximumAge.TotalSeconds:0} s" + (queued.LastError is null ? "" : $"; last error: {queued.LastError}"));
        }

        var invoked = await pool.InvokeAsync(queued.RequestId, queued.Payload, cancellationToken);
        if (!invoked.Succeeded)
        {
            // A start failure is the function's; busy, at the tenant's instance quota, or the revision was replaced while
            // the event waited: try again later.
            return AsyncInvocationOutcome.Failed(invoked.Error.Kind == PoolErrorKind.StartFailed
                ? $"Runtime.InitError: the function could not start: {invoked.Error.Message}"
                : $"No instance available: {invoked.Error.Message}") with { Retry = retry };
        }

        var result = invoked.Value;
        return result.Succeeded
            ? AsyncInvocationOutcome.Succeeded
            : AsyncInvocationOutcome.Failed(FunctionErrorSummary.Of(result.Payload, result.ErrorType)) with { Retry = retry };
    }
}
