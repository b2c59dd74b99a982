using Ferry.Store;

namespace Ferry.Runtime.Instances;

/// <summary>What came back from one event-function invocation.</summary>
/// <param name="Payload">The handler's result JSON on success; the error JSON (<c>errorMessage</c>, <c>errorType</c>…) otherwise.</param>
public sealed record InvocationResult(
    string RequestId,
    InvocationStatus Status,
    ReadOnlyMemory<byte> Payload,
    string? ErrorType,
    TimeSpan Duration,
    bool ColdStart)
{
    public bool Succeeded => Status == InvocationStatus.Success;
}
