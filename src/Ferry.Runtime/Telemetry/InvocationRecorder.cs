using System.Threading.Channels;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Telemetry;

/// <summary>Records invocations (metering, statistics) in batches, off the request path.</summary>
public sealed partial class InvocationRecorder : IAsyncDisposable
{
    private readonly IFerryStore _store;
    private readonly ILogger<InvocationRecorder> _logger;
    private readonly Channel<InvocationRecord> _pending = Channel.CreateUnbounded<InvocationRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public InvocationRecorder(IFerryStore store, ILogger<InvocationRecorder> logger)
    {
        _store = store;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Raised for each invocation as it is recorded, on the recording thread (the end of a request): handlers must be
    /// quick and must not throw. Live metrics subscribe here.
    /// </summary>
    public event Action<InvocationRecord>? Recorded;

    public void Record(InvocationRecord record)
    {
        _pending.Writer.TryWrite(record);
        Recorded?.Invoke(record);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<InvocationRecord>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < 1000 && _pending.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            try
            {
                await _store.RecordInvocationsAsync(batch.ToArray(), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogRecordFailed(ex, batch.Count);
            }

            batch.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} invocations failed")]
    private partial void LogRecordFailed(Exception exception, int count);
}
