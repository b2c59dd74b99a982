using Ferry.Store;

namespace Ferry.Server.WebConsole;

// GET /api/v1/apps/{service}/{stage}/timeline?region=R&since=ISO8601&buckets=N   -> InvocationTimeline
//     The app stage's invocations in [since, now) (since defaults to 24 h ago) in N equal buckets (default 24,
//     at most 288), oldest first. Used by the console's chart; as public as the rest of the API.

/// <param name="BucketSeconds">Width of every bucket; the last one may end after <see cref="Until"/>.</param>
/// <param name="Truncated">
/// True when the window held more invocations than one answer reads; the newest ones are counted, so the oldest
/// buckets are incomplete.
/// </param>
public sealed record InvocationTimeline(
    string Service,
    string Stage,
    string Region,
    DateTimeOffset Since,
    DateTimeOffset Until,
    int BucketSeconds,
    bool Truncated,
    IReadOnlyList<TimelineBucket> Buckets);

/// <param name="Start">Start of the bucket (inclusive); it ends where the next one starts.</param>
/// <param name="Errors">Invocations that did not succeed: handler errors, crashes and timeouts.</param>
/// <param name="P50DurationMs">Median duration (nearest-rank, like the error statistics); null for an empty bucket.</param>
/// <param name="ColdStarts">Invocations that started a new instance.</param>
public sealed record TimelineBucket(DateTimeOffset Start, long Invocations, long Errors, double? P50DurationMs, double? P95DurationMs, long ColdStarts);

/// <summary>Puts invocation records into equal time buckets with counts and duration percentiles.</summary>
public static class InvocationTimelineBuilder
{
    public const int DefaultBuckets = 24;
    public const int MaxBuckets = 288;

    /// <summary>
    /// Buckets [<paramref name="since"/>, <paramref name="until"/>) into <paramref name="bucketCount"/> equal parts of
    /// whole seconds; records outside the window are ignored.
    /// </summary>
    public static (int BucketSeconds, IReadOnlyList<TimelineBucket> Buckets) Build(
        IEnumerable<InvocationRecord> invocations, DateTimeOffset since, DateTimeOffset until, int bucketCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        if (until <= since)
        {
            throw new ArgumentException($"The timeline window must start before it ends; got {since:O} to {until:O}", nameof(until));
        }

        var bucketSeconds = (int)Math.Max(1, Math.Ceiling((until - since).TotalSeconds / bucketCount));
        var width = TimeSpan.FromSeconds(bucketSeconds);
        var durations = new List<double>[bucketCount];
        var errors = new long[bucketCount];
        var coldStarts = new long[bucketCount];
        for (var i = 0; i < bucketCount; i++)
        {
            durations[i] = [];
        }

        foreach (var invocation in invocations)
        {
            if (invocation.Start < since || invocation.Start >= until)
            {
                continue;
            }

            var index = (int)Math.Min(bucketCount - 1, (invocation.Start - since).Ticks / width.Ticks);
            durations[index].Add(invocation.DurationMs);
            if (invocation.Status != InvocationStatus.Success)
            {
                errors[index]++;
            }

            if (invocation.ColdStart)
            {
                coldStarts[index]++;
            }
        }

        var buckets = new TimelineBucket[bucketCount];
        for (var i = 0; i < bucketCount; i++)
        {
            var sorted = durations[i];
            sorted.Sort();
            buckets[i] = new TimelineBucket(since + width * i, sorted.Count, errors[i], NearestRank(sorted, 0.50), NearestRank(sorted, 0.95), coldStarts[i]);
        }

        return (bucketSeconds, buckets);
    }

    /// <summary>The smallest value with at least <paramref name="percentile"/> of the values at or below it.</summary>
    private static double? NearestRank(List<double> sorted, double percentile)
        => sorted.Count == 0 ? null : sorted[Math.Max(0, (int)Math.Ceiling(percentile * sorted.Count) - 1)];
}
