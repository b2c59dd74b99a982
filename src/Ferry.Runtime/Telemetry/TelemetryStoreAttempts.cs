using Ferry.Store;

namespace Ferry.Runtime.Telemetry;

/// <summary>
/// How the telemetry writers (<see cref="LogPipeline"/>, <see cref="InvocationRecorder"/>) store a batch, which holds
/// the rows of every function that wrote in the same moment, other tenants' included:
/// <list type="bullet">
/// <item>A batch the store refuses because of its rows (<see cref="RefusedRows.AreTheCause"/>: a constraint, a value a
/// column cannot hold) is split in halves, each stored on its own, down to the rows that are refused: only those are
/// given up, never the rows that came with them.</item>
/// <item>A store that is unavailable (busy, locked, a connection lost, a restart) is tried again, <see cref="RetryDelay"/>
/// times the attempt apart (at most <see cref="MaxRetryDelay"/>), for as long as the writer's patience lasts; then the
/// batch is given up. The writer must go on with the next one. Once a batch was given up that way, the batches after it
/// get one attempt each until the store takes one again: an outage longer than the patience costs what queued during
/// it, not the writer's memory (rows keep coming while it waits).</item>
/// </list>
/// One per writer: it remembers whether the store was last found unavailable.
/// </summary>
internal sealed class TelemetryStoreAttempts(TimeSpan patience)
{
    /// <summary>For log lines: about two seconds of attempts (five). Longer would hold back the instances' output once
    /// the pipeline's queue is full (back-pressure), stalling functions that print.</summary>
    public static TelemetryStoreAttempts ForLogLines() => new(TimeSpan.FromSeconds(2));

    /// <summary>For invocation records, what tenants are billed by: a minute, long enough for a database restart or
    /// failover. Requests never wait for them; they queue in memory meanwhile.</summary>
    public static TelemetryStoreAttempts ForInvocationRecords() => new(TimeSpan.FromMinutes(1));

    /// <summary>Set when a batch was given up because the store was unavailable; cleared when the store takes one.</summary>
    private volatile bool _outage;

    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    public TimeSpan Patience { get; } = patience;

    /// <summary>Stores <paramref name="batch"/> with <paramref name="store"/>; returns how many of its rows were given up.</summary>
    /// <param name="retrying">Told of each failure of an unavailable store that is tried again: the failure, how many rows
    /// are tried again (fewer than the batch while a refused batch is being split) and the attempt that failed.</param>
    /// <param name="givingUp">Told once, when rows were given up: the last failure and how many rows.</param>
    /// <param name="hurry">Once cancelled (the writer is being disposed), an unavailable store is not waited for any more.</param>
    public async Task<int> StoreAsync<T>(IReadOnlyList<T> batch, Func<IReadOnlyList<T>, Task> store,
        Action<Exception, int, int> retrying, Action<Exception, int> givingUp, CancellationToken hurry = default)
    {
        var (lost, failure) = await StorePartAsync(batch, store, retrying, hurry);
        _outage = lost > 0 && !RefusedRows.AreTheCause(failure!);
        if (lost > 0)
        {
            givingUp(failure!, lost);
        }

        return lost;
    }

    private async Task<(int Lost, Exception? Failure)> StorePartAsync<T>(IReadOnlyList<T> rows, Func<IReadOnlyList<T>, Task> store,
        Action<Exception, int, int> retrying, CancellationToken hurry)
    {
        var started = Environment.TickCount64;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store(rows);
                return (0, null);
            }
            catch (Exception ex) when (RefusedRows.AreTheCause(ex))
            {
                if (rows.Count == 1)
                {
                    return (1, ex);
                }

                var half = rows.Count / 2;
                var first = await StorePartAsync([.. rows.Take(half)], store, retrying, hurry);
                var second = await StorePartAsync([.. rows.Skip(half)], store, retrying, hurry);
                return (first.Lost + second.Lost, second.Failure ?? first.Failure);
            }
            catch (Exception ex)
            {
                var delay = TimeSpan.FromTicks(Math.Min(RetryDelay.Ticks * attempt, MaxRetryDelay.Ticks));
                if (_outage || hurry.IsCancellationRequested || TimeSpan.FromMilliseconds(Environment.TickCount64 - started) + delay > Patience)
                {
                    return (rows.Count, ex);
                }

                retrying(ex, rows.Count, attempt);
                try
                {
                    await Task.Delay(delay, hurry);
                }
                catch (OperationCanceledException)
                {
                    // Disposing: one last attempt, then no more waiting.
                }
            }
        }
    }
}
