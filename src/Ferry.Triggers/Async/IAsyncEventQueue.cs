namespace Ferry.Triggers.Async;

/// <summary>
/// The durable queue of asynchronous invocations and their dead letters. An event is taken with a lease (time and
/// token): while the lease runs nobody else takes it, and once it expires (the server that took it died) the event is
/// taken again, so every event runs at least once. Outcomes are recorded only by the holder of the current lease.
/// Implementations must be safe for several workers (and servers) taking events at the same time.
/// </summary>
public interface IAsyncEventQueue : IAsyncDisposable
{
    /// <summary>
    /// Gives back, due at once, the events whose lease belongs to a server process that is gone (killed, crashed)
    /// instead of waiting for the lease to run out. Leases name their owner: each queue object is one owner (a new one
    /// per server start). Returns how many events were released.
    /// </summary>
    Task<int> ReleaseLeasesOfDeadOwnersAsync(CancellationToken cancellationToken);

    /// <summary>Accepts an event, due now. The request id must be new (a duplicate is a database error).</summary>
    Task<AsyncEvent> EnqueueAsync(string requestId, FunctionAddress target, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="limit"/> events that are due at <paramref name="now"/> and not leased (or whose lease
    /// expired), oldest due first, leasing them until <paramref name="now"/> + <paramref name="lease"/>. No event is
    /// handed to two takers at once.
    /// </summary>
    Task<IReadOnlyList<AsyncEvent>> TakeDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>The event ran: removes it. False when the lease was lost (someone else holds the event now).</summary>
    Task<bool> CompleteAsync(AsyncEvent taken, CancellationToken cancellationToken);

    /// <summary>Records a failed attempt and makes the event due again at <paramref name="dueAt"/>.</summary>
    Task<bool> RetryLaterAsync(AsyncEvent taken, int attempts, DateTimeOffset dueAt, string error, CancellationToken cancellationToken);

    /// <summary>Gives a taken event back without counting an attempt (the server is stopping): it is due again at once.</summary>
    Task<bool> ReleaseAsync(AsyncEvent taken, CancellationToken cancellationToken);

    /// <summary>Moves a taken event to the dead letters, in one transaction.</summary>
    Task<bool> DeadLetterAsync(AsyncEvent taken, int attempts, string error, DateTimeOffset failedAt, CancellationToken cancellationToken);

    /// <summary>The queued event with this request id (taken or not); null once it ran or was dead-lettered.</summary>
    Task<AsyncEvent?> FindAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Dead letters of an app stage (optionally one function), newest first.</summary>
    Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(long appStageId, string? function, int limit, CancellationToken cancellationToken);
}
