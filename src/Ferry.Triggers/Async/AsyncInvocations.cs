namespace Ferry.Triggers.Async;

/// <summary>Accepts events for asynchronous invocation: stores them durably, then wakes the worker.</summary>
public sealed class AsyncInvocations(IAsyncEventQueue queue, AsyncEventWorker worker, AsyncInvocationOptions options)
{
    /// <summary>Largest payload accepted, bytes.</summary>
    public int MaxPayloadBytes => options.MaxPayloadBytes;

    /// <summary>Returns once the event is stored: from then on it runs at least once, even across a restart.</summary>
    public async Task<AsyncEvent> SubmitAsync(FunctionAddress target, ReadOnlyMemory<byte> payload, string requestId, CancellationToken cancellationToken)
    {
        if (payload.Length > options.MaxPayloadBytes)
        {
            throw new ArgumentException($"The event is {payload.Length} bytes; asynchronous invocations accept at most {options.MaxPayloadBytes} bytes", nameof(payload));
        }

        var queued = await queue.EnqueueAsync(requestId, target, payload, cancellationToken);
        worker.Wake();
        return queued;
    }
}
