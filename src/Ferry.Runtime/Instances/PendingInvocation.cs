using Ferry.Store;

namespace Ferry.Runtime.Instances;

/// <summary>
/// An event waiting to be taken by an instance's <c>/next</c> call, and then its answer. With
/// <paramref name="continueOnAnswerThread"/> whoever awaits <see cref="Answer"/> continues on the thread that answers
/// (the Runtime API's request for the posted outcome, a timer, the process's exit) instead of after a hop to the thread
/// pool: only for callers whose continuation is short and never blocks, such as the gateway writing the response.
/// </summary>
internal sealed class PendingInvocation(string requestId, ReadOnlyMemory<byte> payload, DateTimeOffset deadline, string functionArn, string traceId,
    bool continueOnAnswerThread = false)
{
    private readonly TaskCompletionSource<InvocationAnswer> _answer =
        new(continueOnAnswerThread ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);

    public string RequestId { get; } = requestId;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public DateTimeOffset Deadline { get; } = deadline;
    public string FunctionArn { get; } = functionArn;
    public string TraceId { get; } = traceId;

    public Task<InvocationAnswer> Answer => _answer.Task;

    public bool TryAnswer(InvocationAnswer answer) => _answer.TrySetResult(answer);
}

/// <summary>What the runtime posted for an invocation: a response, or an error with its type.</summary>
internal sealed record InvocationAnswer(InvocationStatus Status, ReadOnlyMemory<byte> Payload, string? ErrorType);
