namespace Ferry.Triggers.Async;

/// <summary>
/// An event accepted for asynchronous invocation (Lambda's <c>Event</c> invocation type), as the queue holds it.
/// Every attempt uses the same <see cref="RequestId"/>, as Lambda does.
/// </summary>
/// <param name="Attempts">Attempts that have failed so far.</param>
/// <param name="LeaseToken">Set on events handed out by <see cref="IAsyncEventQueue.TakeDueAsync"/>: proves the taker still holds the event.</param>
public sealed record AsyncEvent(
    long Id,
    string RequestId,
    FunctionAddress Target,
    ReadOnlyMemory<byte> Payload,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset DueAt,
    int Attempts,
    string? LastError,
    string? LeaseToken);

/// <summary>An event that could not be delivered: every attempt failed, or it grew older than the maximum event age.</summary>
public sealed record DeadLetter(
    long Id,
    string RequestId,
    FunctionAddress Target,
    ReadOnlyMemory<byte> Payload,
    string Error,
    int Attempts,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset FailedAt);
