using System.Collections.Concurrent;
using Ferry.Triggers.Async;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Triggers.Tests.Async;

public abstract class AsyncEventWorkerTests<TBackend> : IAsyncLifetime
    where TBackend : QueueBackend, new()
{
    private readonly TBackend _backend = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 10, 0, 0, TimeSpan.Zero));
    private IAsyncEventQueue _queue = null!;

    public async Task InitializeAsync()
    {
        await _backend.CreateAsync();
        _queue = _backend.Open(_time);
    }

    public async Task DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private AsyncEventWorker Worker(IAsyncEventTarget target, AsyncInvocationOptions? options = null)
        => new(_queue, target, options ?? new AsyncInvocationOptions(), _time, NullLogger<AsyncEventWorker>.Instance);

    private Task EnqueueAsync(string requestId = "r1")
        => _queue.EnqueueAsync(requestId, Targets.Function(), """{"job":1}"""u8.ToArray(), CancellationToken.None);

    private Task<int> RunDueAsync(AsyncEventWorker worker) => worker.RunDueAsync(_time.GetUtcNow(), CancellationToken.None);

    [Fact]
    public async Task An_event_that_fails_twice_is_retried_after_one_and_two_minutes_and_then_succeeds()
    {
        var target = new ScriptedTarget(AsyncInvocationOutcome.Failed("first"), AsyncInvocationOutcome.Failed("second"), AsyncInvocationOutcome.Succeeded);
        using var worker = Worker(target);
        await EnqueueAsync();

        Assert.Equal(1, await RunDueAsync(worker));
        var afterFirst = await _queue.FindAsync("r1", CancellationToken.None);
        Assert.Equal((1, "first", _time.GetUtcNow().AddMinutes(1)), (afterFirst!.Attempts, afterFirst.LastError, afterFirst.DueAt));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await RunDueAsync(worker));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await RunDueAsync(worker));
        var afterSecond = await _queue.FindAsync("r1", CancellationToken.None);
        Assert.Equal((2, "second", _time.GetUtcNow().AddMinutes(2)), (afterSecond!.Attempts, afterSecond.LastError, afterSecond.DueAt));

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await RunDueAsync(worker));

        Assert.Null(await _queue.FindAsync("r1", CancellationToken.None));
        Assert.Empty(await _queue.ListDeadLettersAsync(1, null, 10, CancellationToken.None));
        Assert.Equal(["r1", "r1", "r1"], target.Calls.Select(c => c.RequestId));
    }

    [Fact]
    public async Task An_event_that_always_fails_goes_to_the_dead_letters_after_three_attempts()
    {
        var target = new ScriptedTarget(AsyncInvocationOutcome.Failed("Error: nope"));
        using var worker = Worker(target);
        await EnqueueAsync();

        await RunDueAsync(worker);
        _time.Advance(TimeSpan.FromMinutes(1));
        await RunDueAsync(worker);
        _time.Advance(TimeSpan.FromMinutes(2));
        await RunDueAsync(worker);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await RunDueAsync(worker));

        Assert.Equal(3, target.Calls.Count);
        Assert.Null(await _queue.FindAsync("r1", CancellationToken.None));
        var letter = Assert.Single(await _queue.ListDeadLettersAsync(1, null, 10, CancellationToken.None));
        Assert.Equal(("r1", "job", "Error: nope", 3), (letter.RequestId, letter.Target.Function, letter.Error, letter.Attempts));
        Assert.Equal(_time.GetUtcNow().AddMinutes(-10), letter.FailedAt);
        Assert.Equal("""{"job":1}""", System.Text.Encoding.UTF8.GetString(letter.Payload.Span));
    }

    [Fact]
    public async Task Retries_follow_the_configured_delays()
    {
        var target = new ScriptedTarget(AsyncInvocationOutcome.Failed("x"), AsyncInvocationOutcome.Succeeded);
        using var worker = Worker(target, new AsyncInvocationOptions { FirstRetryDelay = TimeSpan.FromMilliseconds(100) });
        await EnqueueAsync();

        await RunDueAsync(worker);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await RunDueAsync(worker);

        Assert.Equal(2, target.Calls.Count);
        Assert.Null(await _queue.FindAsync("r1", CancellationToken.None));
    }

    [Fact]
    public async Task An_event_older_than_the_maximum_age_is_dead_lettered_without_running()
    {
        var target = new ScriptedTarget(AsyncInvocationOutcome.Succeeded);
        using var worker = Worker(target, new AsyncInvocationOptions { MaximumEventAge = TimeSpan.FromMinutes(5) });
        await EnqueueAsync();

        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, await RunDueAsync(worker));

        Assert.Empty(target.Calls);
        var letter = Assert.Single(await _queue.ListDeadLettersAsync(1, null, 10, CancellationToken.None));
        Assert.Equal(0, letter.Attempts);
        Assert.StartsWith("The event expired: it was not delivered within the maximum event age of 300 s", letter.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_undeliverable_event_is_dead_lettered_at_once_and_one_without_target_is_dropped()
    {
        // Both are due together and run concurrently: each gets its outcome by name (by call order, the PostgreSQL
        // variant once gave "gone" the first outcome).
        var target = new ScriptedTarget(new Dictionary<string, AsyncInvocationOutcome>
        {
            ["undeliverable"] = AsyncInvocationOutcome.Undeliverable("no function 'job'"),
            ["gone"] = AsyncInvocationOutcome.TargetGone("app removed"),
        });
        using var worker = Worker(target);
        await EnqueueAsync("undeliverable");
        _time.Advance(TimeSpan.FromSeconds(1));
        await EnqueueAsync("gone");

        Assert.Equal(2, await RunDueAsync(worker));

        var letter = Assert.Single(await _queue.ListDeadLettersAsync(1, null, 10, CancellationToken.None));
        Assert.Equal(("undeliverable", "no function 'job'", 1), (letter.RequestId, letter.Error, letter.Attempts));
        Assert.Null(await _queue.FindAsync("gone", CancellationToken.None));
    }

    [Fact]
    public async Task A_target_that_throws_counts_as_a_failed_attempt()
    {
        var target = new ScriptedTarget(_ => throw new InvalidOperationException("pool exploded"));
        using var worker = Worker(target);
        await EnqueueAsync();

        await RunDueAsync(worker);

        var queued = await _queue.FindAsync("r1", CancellationToken.None);
        Assert.Equal((1, "InvalidOperationException: pool exploded"), (queued!.Attempts, queued.LastError));
    }

    [Fact]
    public async Task No_more_events_run_at_once_than_the_concurrency_allows()
    {
        var arrived = new SemaphoreSlim(0);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = new ConcurrencyTrackingTarget(arrived, gate.Task);
        using var worker = Worker(target, new AsyncInvocationOptions { MaxConcurrency = 2 });
        for (var i = 0; i < 5; i++)
        {
            await EnqueueAsync($"r{i}");
        }

        var run = RunDueAsync(worker);
        await arrived.WaitAsync();
        await arrived.WaitAsync();
        gate.SetResult();

        Assert.Equal(5, await run);
        Assert.Equal(2, target.MaxInFlight);
        Assert.Equal(5, target.Completed);
    }

    [Fact]
    public async Task Stopping_hands_a_running_event_back_to_the_queue_without_counting_an_attempt()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = new ScriptedTarget(async _ =>
        {
            started.TrySetResult();
            await finish.Task; // ignores the stop signal, like a function that is busy
            return AsyncInvocationOutcome.Succeeded;
        });
        using var worker = Worker(target, new AsyncInvocationOptions { ShutdownGrace = TimeSpan.Zero });
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync();
        worker.Wake();
        await started.Task;

        await worker.StopAsync(CancellationToken.None);

        var queued = await _queue.FindAsync("r1", CancellationToken.None);
        Assert.Equal(0, queued!.Attempts);
        Assert.Null(queued.LeaseToken);
        Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, TimeSpan.FromMinutes(1), CancellationToken.None));
        finish.SetResult();
    }

    [Fact]
    public async Task The_background_loop_runs_submitted_events()
    {
        var ran = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = new ScriptedTarget(_ => Task.FromResult(AsyncInvocationOutcome.Succeeded), onCall: e => ran.TrySetResult(e.RequestId));
        using var worker = Worker(target);
        var invocations = new AsyncInvocations(_queue, worker, new AsyncInvocationOptions());
        await worker.StartAsync(CancellationToken.None);

        await invocations.SubmitAsync(Targets.Function(), "{}"u8.ToArray(), "submitted", CancellationToken.None);

        Assert.Equal("submitted", await ran.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await worker.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Oversized_events_are_refused_before_they_are_stored()
    {
        using var worker = Worker(new ScriptedTarget(AsyncInvocationOutcome.Succeeded));
        var invocations = new AsyncInvocations(_queue, worker, new AsyncInvocationOptions { MaxPayloadBytes = 4 });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => invocations.SubmitAsync(Targets.Function(), "12345"u8.ToArray(), "big", CancellationToken.None));

        Assert.StartsWith("The event is 5 bytes; asynchronous invocations accept at most 4 bytes", error.Message, StringComparison.Ordinal);
        Assert.Null(await _queue.FindAsync("big", CancellationToken.None));
    }

    [Fact]
    public async Task A_restarted_worker_delivers_the_events_a_killed_server_was_running_without_waiting_for_the_lease()
    {
        await EnqueueAsync("was-running");
        var killed = _backend.Open(_time);
        Assert.Single(await killed.TakeDueAsync(_time.GetUtcNow(), 10, new AsyncInvocationOptions().LeaseDuration, CancellationToken.None));
        await killed.DisposeAsync();

        var target = new ScriptedTarget(AsyncInvocationOutcome.Succeeded);
        using var worker = Worker(target);
        Assert.Equal(0, await RunDueAsync(worker)); // still leased: this is the 16-minute wait

        await worker.ReleaseLeasesOfDeadServersAsync(CancellationToken.None); // what the worker does when it starts
        Assert.Equal(1, await RunDueAsync(worker)); // same clock time

        Assert.Equal(["was-running"], target.Calls.Select(c => c.RequestId));
        Assert.Null(await _queue.FindAsync("was-running", CancellationToken.None));
    }

    [Fact]
    public async Task A_started_worker_releases_dead_leases_before_taking_events()
    {
        await EnqueueAsync("was-running");
        var killed = _backend.Open(_time);
        Assert.Single(await killed.TakeDueAsync(_time.GetUtcNow(), 10, new AsyncInvocationOptions().LeaseDuration, CancellationToken.None));
        await killed.DisposeAsync();

        var delivered = new TaskCompletionSource<AsyncEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = new ScriptedTarget(_ => Task.FromResult(AsyncInvocationOutcome.Succeeded), e => delivered.TrySetResult(e));
        using var worker = Worker(target);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            // The fake clock never moves: only the release at start-up can make the event deliverable.
            Assert.Equal("was-running", (await delivered.Task).RequestId);
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Answers with the given outcomes in turn (the last one repeats), or runs a function.</summary>
    private sealed class ScriptedTarget : IAsyncEventTarget
    {
        private readonly Func<AsyncEvent, CancellationToken, Task<AsyncInvocationOutcome>> _answer;
        private readonly Action<AsyncEvent>? _onCall;

        /// <summary>Answers the calls in the order they come (for one event at a time: events due together run concurrently).</summary>
        public ScriptedTarget(params AsyncInvocationOutcome[] outcomes)
        {
            var next = 0;
            _answer = (_, _) => Task.FromResult(outcomes[Math.Min(Interlocked.Increment(ref next) - 1, outcomes.Length - 1)]);
        }

        public ScriptedTarget(Func<CancellationToken, Task<AsyncInvocationOutcome>> answer, Action<AsyncEvent>? onCall = null)
        {
            _answer = (_, cancellationToken) => answer(cancellationToken);
            _onCall = onCall;
        }

        /// <summary>Answers each event by its request id, whatever order concurrent events are run in.</summary>
        public ScriptedTarget(IReadOnlyDictionary<string, AsyncInvocationOutcome> outcomes)
        {
            _answer = (queued, _) => Task.FromResult(outcomes[queued.RequestId]);
        }

        public ConcurrentQueue<AsyncEvent> CallLog { get; } = new();

        public IReadOnlyList<AsyncEvent> Calls => [.. CallLog];

        public Task<AsyncInvocationOutcome> InvokeAsync(AsyncEvent queued, CancellationToken cancellationToken)
        {
            CallLog.Enqueue(queued);
            _onCall?.Invoke(queued);
            return _answer(queued, cancellationToken);
        }
    }

    private sealed class ConcurrencyTrackingTarget(SemaphoreSlim arrived, Task gate) : IAsyncEventTarget
    {
        private int _inFlight;
        private int _maxInFlight;
        private int _completed;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public int Completed => Volatile.Read(ref _completed);

        public async Task<AsyncInvocationOutcome> InvokeAsync(AsyncEvent queued, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            arrived.Release();
            await gate;
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _completed);
            return AsyncInvocationOutcome.Succeeded;
        }
    }
}

public sealed class SqliteAsyncEventWorkerTests : AsyncEventWorkerTests<SqliteQueueBackend>;

public sealed class PostgresAsyncEventWorkerTests : AsyncEventWorkerTests<PostgresQueueBackend>;
