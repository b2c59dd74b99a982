using System.Text;
using System.Threading.Channels;
using Ferry.Runtime.Quotas;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Telemetry;

/// <summary>
/// Takes log lines from instances without blocking them, writes them to the store in batches (one transaction per
/// <see cref="BatchWindow"/>, or right away while someone follows the logs live), and then hands the stored lines
/// (with their ids) to live subscribers. A line is published only after it is stored, so a subscriber that resumes
/// "after id N" never misses or repeats a line. Disposing stores every queued line.
/// </summary>
public sealed partial class LogPipeline : IAsyncDisposable
{
    /// <summary>How long a line may wait for others to share its transaction while nobody follows the logs live.</summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    private const int MaxBatch = 500;
    private const int MaxMessageChars = 64 * 1024;

    private readonly ILogSink _sink;
    private readonly ILogger<LogPipeline> _logger;
    private readonly TenantLogBudget? _budget;
    private readonly BatchingWriter<NewLogEntry> _pending;
    private readonly TelemetryStoreAttempts _attempts = TelemetryStoreAttempts.ForLogLines();
    private readonly Lock _subscribersGate = new();
    private readonly List<LogSubscription> _subscribers = [];
    private volatile bool _hasSubscribers;

    /// <param name="budget">Per-tenant daily log volume; null: every line is stored.</param>
    public LogPipeline(ILogSink sink, ILogger<LogPipeline> logger, TenantLogBudget? budget = null)
        : this(sink, logger, TimeProvider.System, budget)
    {
    }

    /// <param name="time">Clock of the batch window.</param>
    /// <param name="budget">Per-tenant daily log volume; null: every line is stored.</param>
    public LogPipeline(ILogSink sink, ILogger<LogPipeline> logger, TimeProvider time, TenantLogBudget? budget = null)
    {
        _sink = sink;
        _logger = logger;
        _budget = budget;
        // Up to 100k lines wait before writers wait (back-pressure on the instances' output pumps).
        _pending = new BatchingWriter<NewLogEntry>(StoreAndPublishAsync, MaxBatch, BatchWindow, time, capacity: 100_000,
            skipWindow: () => _hasSubscribers);
    }

    /// <summary>
    /// Queues a line (unless the tenant is over its daily log quota; Ferry's own <see cref="LogStream.Platform"/> lines
    /// do not count against it); waits only when 100k lines are already waiting (back-pressure on the instance's
    /// output pump).
    /// </summary>
    public ValueTask WriteAsync(FunctionRevision function, string? requestId, string instanceId, LogStream stream, string message, DateTimeOffset time)
    {
        message = Truncated(message);
        if (_budget is not null && stream != LogStream.Platform)
        {
            switch (_budget.Admit(function.Tenant, Encoding.UTF8.GetByteCount(message), time))
            {
                case LogAdmission.Drop:
                    return ValueTask.CompletedTask;
                case LogAdmission.DropWithMarker:
                    stream = LogStream.Platform;
                    message = _budget.MarkerLine(function.Tenant);
                    break;
            }
        }

        return _pending.WriteAsync(new NewLogEntry(function.AppStageId, function.RevisionId, function.Name, requestId, instanceId, time, stream, message));
    }

    /// <summary>
    /// Queues several of Ferry's own lines about one request (an invocation's START, END and REPORT), stored together
    /// in one row and handed out as separate lines. Like every platform line they do not count against the tenant's
    /// daily log quota: they are bounded by the invocation rate and the log retention, as invocation records are.
    /// </summary>
    public ValueTask WritePlatformLinesAsync(FunctionRevision function, string? requestId, string instanceId, IReadOnlyList<string> lines, DateTimeOffset time)
        => _pending.WriteAsync(NewLogEntry.Lines(
            function.AppStageId, function.RevisionId, function.Name, requestId, instanceId, time, LogStream.Platform, [.. lines.Select(Truncated)]));

    private static string Truncated(string message) => message.Length > MaxMessageChars
        ? string.Concat(message.AsSpan(0, MaxMessageChars), " …[truncated]")
        : message;

    /// <summary>Lines of one app stage as they are stored. Dispose the subscription to stop.</summary>
    public LogSubscription Subscribe(long appStageId, string? function)
    {
        var subscription = new LogSubscription(this, appStageId, function);
        lock (_subscribersGate)
        {
            _subscribers.Add(subscription);
            _hasSubscribers = true;
        }

        return subscription;
    }

    internal void Unsubscribe(LogSubscription subscription)
    {
        lock (_subscribersGate)
        {
            _subscribers.Remove(subscription);
            _hasSubscribers = _subscribers.Count > 0;
        }
    }

    /// <summary>Waits until every line written before this call is stored (tests, shutdown).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _pending.FlushAsync(cancellationToken);

    private Task StoreAndPublishAsync(List<NewLogEntry> batch) => _attempts.StoreAsync(
        batch.ToArray(),
        async lines => Publish(await _sink.AppendLogsAsync(lines, CancellationToken.None)),
        (ex, count, attempt) => LogStoreRetry(ex, count, attempt),
        (ex, lost) => LogStoreFailed(ex, lost));

    private void Publish(IReadOnlyList<LogEntry> stored)
    {
        LogSubscription[] subscribers;
        lock (_subscribersGate)
        {
            if (_subscribers.Count == 0)
            {
                return;
            }

            subscribers = [.. _subscribers];
        }

        foreach (var entry in stored)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.Offer(entry);
            }
        }
    }

    public ValueTask DisposeAsync() => _pending.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} log lines failed (attempt {Attempt}); retrying")]
    private partial void LogStoreRetry(Exception exception, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing {Count} log lines failed; they are lost")]
    private partial void LogStoreFailed(Exception exception, int count);
}

/// <summary>A live feed of stored log lines of one app stage (optionally one function).</summary>
public sealed class LogSubscription : IDisposable
{
    private readonly LogPipeline _pipeline;
    private readonly long _appStageId;
    private readonly string? _function;

    // Bounded: a reader that stops reading loses its oldest lines rather than growing the server's memory.
    private readonly Channel<LogEntry> _entries = Channel.CreateBounded<LogEntry>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    internal LogSubscription(LogPipeline pipeline, long appStageId, string? function)
    {
        _pipeline = pipeline;
        _appStageId = appStageId;
        _function = function;
    }

    public ChannelReader<LogEntry> Entries => _entries.Reader;

    internal void Offer(LogEntry entry)
    {
        if (entry.AppStageId == _appStageId && (_function is null || entry.Function == _function))
        {
            _entries.Writer.TryWrite(entry);
        }
    }

    public void Dispose()
    {
        _pipeline.Unsubscribe(this);
        _entries.Writer.TryComplete();
    }
}
