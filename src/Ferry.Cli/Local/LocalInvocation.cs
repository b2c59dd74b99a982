using System.Text;

namespace Ferry.Cli.Local;

/// <summary>What the runtime loop posted for an invocation (or for its failed start).</summary>
/// <param name="Succeeded">True for <c>/response</c>, false for <c>/error</c> and <c>/init/error</c>.</param>
/// <param name="Body">The posted JSON: the handler's result, or <c>{"errorMessage", "errorType", "stackTrace"}</c>.</param>
/// <param name="ErrorType">The <c>Lambda-Runtime-Function-Error-Type</c> header of an error.</param>
internal sealed record RuntimeAnswer(bool Succeeded, string Body, string? ErrorType);

/// <summary>
/// One event on its way through <see cref="LocalRuntimeApi"/>: queued until the runtime loop asks for it, then in
/// flight until the loop posts the outcome.
/// </summary>
internal sealed class LocalInvocation(string requestId, string eventJson, TimeSpan timeout, string functionArn)
{
    private readonly TaskCompletionSource<DateTimeOffset> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RuntimeAnswer> _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string RequestId { get; } = requestId;

    public byte[] Payload { get; } = Encoding.UTF8.GetBytes(eventJson);

    public TimeSpan Timeout { get; } = timeout;

    public string FunctionArn { get; } = functionArn;

    /// <summary>Completes with the deadline once the runtime loop has taken the event.</summary>
    public Task<DateTimeOffset> Started => _started.Task;

    /// <summary>Completes with what the runtime loop posted for this event.</summary>
    public Task<RuntimeAnswer> Answered => _answered.Task;

    internal DateTimeOffset MarkStarted(DateTimeOffset now)
    {
        var deadline = now + Timeout;
        _started.TrySetResult(deadline);
        return deadline;
    }

    internal bool TryAnswer(RuntimeAnswer answer) => _answered.TrySetResult(answer);
}
