using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Triggers.Async;

/// <summary>
/// Runs queued events: takes due events (up to <see cref="AsyncInvocationOptions.MaxConcurrency"/> at a time), invokes
/// each once through <see cref="IAsyncEventTarget"/>, and records the outcome: done, retry later with backoff, or dead
/// letter. It wakes when an event is submitted and otherwise looks at the queue every poll interval (retries falling
/// due, leases of a crashed server expiring). At shutdown, events still running after the grace period are handed
/// back to the queue without counting an attempt.
/// </summary>
public sealed partial class AsyncEventWorker : BackgroundService
{
    private const int MaxBatch = 16;

    private readonly IAsyncEventQueue _queue;
    private readonly IAsyncEventTarget _target;
    private readonly AsyncInvocationOptions _options;
    private readonly RetryPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger<AsyncEventWorker> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly WakeSignal _wake = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _abandon;
    private CancellationToken _stopping = CancellationToken.None;

    public AsyncEventWorker(IAsyncEventQueue queue, IAsyncEventTarget target, AsyncInvocationOptions options, TimeProvider time, ILogger<AsyncEventWorker> logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConcurrency);
        _queue = queue;
        _target = target;
        _options = options;
        _policy = new RetryPolicy(options);
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _abandon = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>Tells the worker an event was submitted, so it looks at the queue now rather than at the next poll.</summary>
    public void Wake() => _wake.Set();

    /// <summary>
    /// Runs every event that is due at <paramref name="now"/> and waits for their outcomes; returns how many ran.
    /// The background loop does the same with the clock's time; tests and operators can pass a later time to run
    /// retries that are not due yet.
    /// </summary>
    public async Task<int> RunDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var started = await TakeAndStartAsync(now, cancellationToken);
            if (started.Count == 0)
            {
                return total;
            }

            total += started.Count;
            await Task.WhenAll(started);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        await ReleaseLeasesOfDeadServersAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = await TakeAndStartAsync(_time.GetUtcNow(), stoppingToken);
                if (started.Count == 0)
                {
                    await _wake.WaitAsync(_options.PollInterval, _time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogQueueFailed(ex);
                await _wake.WaitAsync(_options.PollInterval, _time, CancellationToken.None);
            }
        }

        // Stopping: running events get a grace period, then they are handed back to the queue.
        _abandon.CancelAfter(_options.ShutdownGrace);
        await Task.WhenAll(_running.Keys);
    }

    /// <summary>
    /// At start-up: events a killed server had taken are due again now, not when their lease (longer than the longest
    /// function timeout) runs out.
    /// </summary>
    public async Task ReleaseLeasesOfDeadServersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var released = await _queue.ReleaseLeasesOfDeadOwnersAsync(cancellationToken);
            if (released > 0)
            {
                LogLeasesReleased(released);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogQueueFailed(ex);
        }
    }

    /// <summary>Takes as many due events as there are free slots (waiting for one slot at least) and starts them.</summary>
    private async Task<IReadOnlyList<Task>> TakeAndStartAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        var held = 1;
        while (held < MaxBatch && _slots.Wait(0))
        {
            held++;
        }

        IReadOnlyList<AsyncEvent> taken;
        try
        {
            taken = await _queue.TakeDueAsync(now, held, _options.LeaseDuration, cancellationToken);
        }
        catch
        {
            _slots.Release(held);
            throw;
        }

        if (taken.Count < held)
        {
            _slots.Release(held - taken.Count);
        }

        var started = new List<Task>(taken.Count);
        foreach (var queued in taken)
        {
            var task = RunOneAsync(queued, now);
            _running[task] = 0;
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            started.Add(task);
        }

        return started;
    }

    /// <summary>One attempt of one taken event, and its outcome recorded. Never throws; always frees its slot.</summary>
    private async Task RunOneAsync(AsyncEvent queued, DateTimeOffset takenAt)
    {
        await Task.Yield();
        var startedAt = _time.GetTimestamp();
        try
        {
            if (_policy.IsExpired(queued, takenAt))
            {
                LogExpired(queued.RequestId, queued.Target.ToString());
                await _queue.DeadLetterAsync(queued, queued.Attempts, _policy.ExpiredError(queued), takenAt, CancellationToken.None);
                return;
            }

            AsyncInvocationOutcome outcome;
            try
            {
                outcome = await _target.InvokeAsync(queued, _stopping).WaitAsync(_abandon.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested || _abandon.IsCancellationRequested)
            {
                LogHandedBack(queued.RequestId, queued.Target.ToString());
                await _queue.ReleaseAsync(queued, CancellationToken.None);
                return;
            }
            catch (Exception ex)
            {
                outcome = AsyncInvocationOutcome.Failed($"{ex.GetType().Name}: {ex.Message}");
            }

            // In the time frame of the caller's "now", so a run with a time ahead of the clock schedules retries after it.
            var finishedAt = takenAt + _time.GetElapsedTime(startedAt);
            await RecordAsync(queued, outcome, finishedAt);
        }
        catch (Exception ex)
        {
            LogRecordFailed(ex, queued.RequestId, queued.Target.ToString());
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task RecordAsync(AsyncEvent queued, AsyncInvocationOutcome outcome, DateTimeOffset finishedAt)
    {
        var target = queued.Target.ToString();
        var error = outcome.Error ?? "unknown error";
        switch (outcome.Kind)
        {
            case AsyncOutcomeKind.Succeeded:
                await _queue.CompleteAsync(queued, CancellationToken.None);
                break;
            case AsyncOutcomeKind.TargetGone:
                LogDropped(queued.RequestId, target, error);
                await _queue.CompleteAsync(queued, CancellationToken.None);
                break;
            case AsyncOutcomeKind.Undeliverable:
                LogDeadLettered(queued.RequestId, target, queued.Attempts + 1, error);
                await _queue.DeadLetterAsync(queued, queued.Attempts + 1, error, finishedAt, CancellationToken.None);
                break;
            default:
                var decision = _policy.AfterFailure(queued, finishedAt, error, outcome.Retry);
                if (decision.RetryAt is { } retryAt)
                {
                    LogRetrying(queued.RequestId, target, decision.Attempts, retryAt, error);
                    await _queue.RetryLaterAsync(queued, decision.Attempts, retryAt, error, CancellationToken.None);
                }
                else
                {
                    LogDeadLettered(queued.RequestId, target, decision.Attempts, decision.Error);
                    await _queue.DeadLetterAsync(queued, decision.Attempts, decision.Error, finishedAt, CancellationToken.None);
                }

                break;
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _abandon.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} async events taken by a server that is gone are due again")]
    private partial void LogLeasesReleased(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the async event queue failed; trying again shortly")]
    private partial void LogQueueFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the outcome of async event {RequestId} for {Target}; it runs again when its lease expires")]
    private partial void LogRecordFailed(Exception exception, string requestId, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Async event {RequestId} for {Target} handed back to the queue: the server is stopping")]
    private partial void LogHandedBack(string requestId, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async event {RequestId} for {Target} expired before it could be delivered")]
    private partial void LogExpired(string requestId, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async event {RequestId} dropped: {Target} {Reason}")]
    private partial void LogDropped(string requestId, string target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Async event {RequestId} for {Target} failed (attempt {Attempts}), retrying at {RetryAt:O}: {Error}")]
    private partial void LogRetrying(string requestId, string target, int attempts, DateTimeOffset retryAt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async event {RequestId} for {Target} failed {Attempts} times and went to the dead letters: {Error}")]
    private partial void LogDeadLettered(string requestId, string target, int attempts, string error);
}
