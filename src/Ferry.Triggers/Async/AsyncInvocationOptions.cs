namespace Ferry.Triggers.Async;

/// <summary>How asynchronous invocations are retried and run. Defaults are Lambda's.</summary>
public sealed record AsyncInvocationOptions
{
    /// <summary>Retries after the first failed attempt (Lambda: 0-2, default 2).</summary>
    public int MaximumRetryAttempts { get; init; } = 2;

    /// <summary>Wait before the first retry; each later retry waits twice as long as the one before (1 min, 2 min).</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Events older than this are not run any more; they go to the dead letters (Lambda default: 6 h).</summary>
    public TimeSpan MaximumEventAge { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How long a taken event stays reserved for the server that took it. Longer than the longest function timeout
    /// (15 min), so only an event whose server died is taken again.
    /// </summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(16);

    /// <summary>Events run at the same time, over all functions.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>How often the queue is looked at when nobody signalled a new event (retries falling due, leases expiring).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>At shutdown, how long running events may take to finish before they are handed back to the queue.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest event accepted for asynchronous invocation (Lambda: 256 KB).</summary>
    public int MaxPayloadBytes { get; init; } = 256 * 1024;
}
