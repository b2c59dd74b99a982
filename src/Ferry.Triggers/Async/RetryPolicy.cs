using System.Globalization;

namespace Ferry.Triggers.Async;

/// <summary>What happens to an event after a failed attempt: a later retry with exponential backoff, or the dead letters.</summary>
public sealed class RetryPolicy(AsyncInvocationOptions options)
{
    /// <summary>True when the event may no longer run: it was accepted longer ago than the maximum event age.</summary>
    public bool IsExpired(AsyncEvent queued, DateTimeOffset now) => now - queued.EnqueuedAt > options.MaximumEventAge;

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based): the first delay, doubled each time.</summary>
    public TimeSpan DelayBefore(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        return options.FirstRetryDelay * Math.Pow(2, retry - 1);
    }

    /// <param name="overrides">The function's own limits, when it declares them.</param>
    public FailureDecision AfterFailure(AsyncEvent queued, DateTimeOffset failedAt, string error, RetryOverrides? overrides = null)
    {
        var attempts = queued.Attempts + 1;
        if (attempts > (overrides?.MaximumRetryAttempts ?? options.MaximumRetryAttempts))
        {
            return FailureDecision.DeadLetter(attempts, error);
        }

        var retryAt = failedAt + DelayBefore(attempts);
        var maximumAge = overrides?.MaximumEventAge ?? options.MaximumEventAge;
        if (retryAt - queued.EnqueuedAt > maximumAge)
        {
            return FailureDecision.DeadLetter(attempts, $"{error} (no retry: it would be later than the maximum event age of {Describe(maximumAge)})");
        }

        return new FailureDecision(attempts, retryAt, error);
    }

    public string ExpiredError(AsyncEvent queued)
        => $"The event expired: it was not delivered within the maximum event age of {Describe(options.MaximumEventAge)}"
           + (queued.LastError is null ? "" : $"; last error: {queued.LastError}");

    private static string Describe(TimeSpan span) => span.TotalHours >= 1
        ? span.TotalHours.ToString("0.##", CultureInfo.InvariantCulture) + " h"
        : span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}

/// <summary>After a failed attempt: retry at <see cref="RetryAt"/>, or (when null) give up and dead-letter.</summary>
/// <param name="Attempts">Failed attempts including this one.</param>
public readonly record struct FailureDecision(int Attempts, DateTimeOffset? RetryAt, string Error)
{
    public bool GivesUp => RetryAt is null;

    public static FailureDecision DeadLetter(int attempts, string error) => new(attempts, null, error);
}
