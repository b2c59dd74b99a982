using System.Threading.Channels;

namespace Ferry.Runtime.Telemetry;

/// <summary>
/// Collects items written from many threads and hands them to one writer in batches: after the first item of a batch
/// arrives it waits up to <c>window</c> for more (or until <c>maxBatch</c> are waiting), so a steady stream of
/// requests costs one store transaction per window instead of one per request. Nothing that writes an item waits
/// for the store. <see cref="FlushAsync"/> and <see cref="DisposeAsync"/> cut the window short and return once
/// everything written before them has been handed to the writer, so a normal shutdown loses nothing.
/// </summary>
/// <remarks>The batch callback runs on one loop, one batch at a time, and must not throw (it logs or retries itself).</remarks>
internal sealed class BatchingWriter<T> : IAsyncDisposable
{
    private readonly Func<List<T>, Task> _writeBatch;
    private readonly int _maxBatch;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly Func<bool> _skipWindow;
    private readonly Channel<Pending> _pending;
    private readonly Task _loop;

    /// <summary>Flushes asked for (or the shutdown) that the loop has not reached yet: while above zero the window is not waited for.</summary>
    private int _urgent;

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="writeBatch">Stores one batch; the list is reused after the returned task completes.</param>
    /// <param name="capacity">Items that may wait before <see cref="WriteAsync"/> waits for room; null: unbounded.</param>
    /// <param name="skipWindow">Asked before each window: true stores what is waiting right away (e.g. someone watches live).</param>
    public BatchingWriter(Func<List<T>, Task> writeBatch, int maxBatch, TimeSpan window, TimeProvider time, int? capacity = null, Func<bool>? skipWindow = null)
    {
        _writeBatch = writeBatch;
        _maxBatch = maxBatch;
        _window = window;
        _time = time;
        _skipWindow = skipWindow ?? (static () => false);
        _pending = capacity is { } bound
            ? Channel.CreateBounded<Pending>(new BoundedChannelOptions(bound) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait })
            : Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues an item; false after disposal (or, bounded, when full: use <see cref="WriteAsync"/> to wait for room).</summary>
    public bool TryWrite(T item) => _pending.Writer.TryWrite(new Pending(item, null));

    /// <summary>Queues an item, waiting only when a bounded queue is full (back-pressure).</summary>
    public ValueTask WriteAsync(T item)
    {
        var pending = new Pending(item, null);
        return _pending.Writer.TryWrite(pending) ? ValueTask.CompletedTask : _pending.Writer.WriteAsync(pending);
    }

    /// <summary>Completes once every item written before this call has been handed to the batch writer.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _urgent);
        if (!_pending.Writer.TryWrite(new Pending(default, done)))
        {
            // Bounded and full, or completed (then the loop drains everything before it ends).
            try
            {
                await _pending.Writer.WriteAsync(new Pending(default, done), cancellationToken);
            }
            catch (ChannelClosedException)
            {
                Interlocked.Decrement(ref _urgent);
                await _loop.WaitAsync(cancellationToken);
                return;
            }
        }

        Volatile.Read(ref _wake).TrySetResult();
        await done.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var reader = _pending.Reader;
        var batch = new List<T>(_maxBatch);
        while (await reader.WaitToReadAsync())
        {
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            if (_window > TimeSpan.Zero && Volatile.Read(ref _urgent) == 0 && !_skipWindow())
            {
                // A timer per window, not per item. Flush and dispose complete `wake`.
                await Task.WhenAny(Task.Delay(_window, _time), wake.Task);
            }

            // Everything waiting now, in batches of at most _maxBatch; flushes complete once what came before them is written.
            while (reader.TryRead(out var pending))
            {
                if (pending.Flushed is { } flushed)
                {
                    await WriteAsync(batch);
                    Interlocked.Decrement(ref _urgent);
                    flushed.TrySetResult();
                    continue;
                }

                batch.Add(pending.Item!);
                if (batch.Count >= _maxBatch)
                {
                    await WriteAsync(batch);
                }
            }

            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<T> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        await _writeBatch(batch);
        batch.Clear();
    }

    /// <summary>Stops taking items and returns once every item already written has been handed to the batch writer.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref _urgent);
        _pending.Writer.TryComplete();
        Volatile.Read(ref _wake).TrySetResult();
        await _loop;
    }

    private readonly record struct Pending(T? Item, TaskCompletionSource? Flushed);
}
