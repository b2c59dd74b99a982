using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Telemetry;

/// <summary>
/// Records invocations (metering, statistics) off the request path: a request only queues its record; the records
/// are stored in batches, one transaction per <see cref="BatchWindow"/> (or per <see cref="MaxBatch"/> records). These
/// records are what tenants are billed by: an unavailable store is tried again for a minute, and a record the store
/// refuses costs only itself (<see cref="TelemetryStoreAttempts"/>). Disposing stores everything queued, so a normal
/// shutdown loses no record.
/// </summary>
public sealed partial class InvocationRecorder : IAsyncDisposable
{
    /// <summary>How long a record may wait for others to share its transaction.</summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    private const int MaxBatch = 1000;

    private readonly IInvocationSink _sink;
    private readonly ILogger<InvocationRecorder> _logger;
    private readonly BatchingWriter<InvocationRecord> _pending;
    private readonly TelemetryStoreAttempts _attempts;
    private readonly CancellationTokenSource _disposing = new();

    public InvocationRecorder(IInvocationSink sink, ILogger<InvocationRecorder> logger)
        : this(sink, logger, TimeProvider.System)
    {
    }

    /// <param name="time">Clock of the batch window.</param>
    public InvocationRecorder(IInvocationSink sink, ILogger<InvocationRecorder> logger, TimeProvider time)
        : this(sink, logger, time, TelemetryStoreAttempts.ForInvocationRecords())
    {
    }

    /// <param name="attempts">How a batch the store refuses is tried again (tests shorten the patience).</param>
    internal InvocationRecorder(IInvocationSink sink, ILogger<InvocationRecorder> logger, TimeProvider time, TelemetryStoreAttempts attempts)
    {
        _sink = sink;
        _logger = logger;
        _attempts = attempts;
        _pending = new BatchingWriter<InvocationRecord>(StoreAsync, MaxBatch, BatchWindow, time);
    }

    /// <summary>
    /// Raised for each invocation as it is recorded, on the recording thread (the end of a request): handlers must be
    /// quick and must not throw. Live metrics subscribe here.
    /// </summary>
    public event Action<InvocationRecord>? Recorded;

    public void Record(InvocationRecord record)
    {
        _pending.TryWrite(record);
        Recorded?.Invoke(record);
    }

    /// <summary>Waits until every invocation recorded before this call is stored (tests, shutdown).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _pending.FlushAsync(cancellationToken);

    private Task StoreAsync(List<InvocationRecord> batch) => _attempts.StoreAsync(
        batch.ToArray(),
        records => _sink.RecordInvocationsAsync(records, CancellationToken.None),
        (ex, count, attempt) => LogRecordRetry(ex, count, attempt),
        (ex, lost) => LogRecordFailed(ex, lost),
        _disposing.Token);

    /// <summary>Stores what is queued; a store that is unavailable now is no longer waited for (a shutdown must end).</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync(); // no timer inside: nothing to dispose, and a second call is harmless
        await _pending.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Count} invocations failed (attempt {Attempt}); retrying")]
    private partial void LogRecordRetry(Exception exception, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} invocations failed; they are lost")]
    private partial void LogRecordFailed(Exception exception, int count);
}
