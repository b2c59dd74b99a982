namespace Ferry.Triggers.Async;

/// <summary>Runs one attempt of a queued event against the function it is for (implemented by the server).</summary>
public interface IAsyncEventTarget
{
    /// <param name="cancellationToken">Fires when the server is stopping; the attempt is then handed back to the queue.</param>
    Task<AsyncInvocationOutcome> InvokeAsync(AsyncEvent queued, CancellationToken cancellationToken);
}

public enum AsyncOutcomeKind
{
    Succeeded,

    /// <summary>The function failed (error, crash, timeout) or could not be reached: worth retrying.</summary>
    Failed,

    /// <summary>The app stage exists but cannot take the event (the function was removed): dead-letter without retrying.</summary>
    Undeliverable,

    /// <summary>The app stage is gone: the event is dropped.</summary>
    TargetGone,
}

/// <param name="Retry">The function's own retry settings (its <c>maximumRetryAttempts</c>/<c>maximumEventAge</c>); null: the server's.</param>
public sealed record AsyncInvocationOutcome(AsyncOutcomeKind Kind, string? Error = null, RetryOverrides? Retry = null)
{
    public static AsyncInvocationOutcome Succeeded { get; } = new(AsyncOutcomeKind.Succeeded);

    public static AsyncInvocationOutcome Failed(string error) => new(AsyncOutcomeKind.Failed, error);

    public static AsyncInvocationOutcome Undeliverable(string error) => new(AsyncOutcomeKind.Undeliverable, error);

    public static AsyncInvocationOutcome TargetGone(string reason) => new(AsyncOutcomeKind.TargetGone, reason);
}

/// <summary>A function's settings that replace <see cref="AsyncInvocationOptions"/> for its events; null members keep the server's.</summary>
public sealed record RetryOverrides(int? MaximumRetryAttempts, TimeSpan? MaximumEventAge);
