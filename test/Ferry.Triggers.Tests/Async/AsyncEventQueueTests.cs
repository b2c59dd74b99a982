using System.Text;
using Ferry.Triggers.Async;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Triggers.Tests.Async;

public abstract class AsyncEventQueueTests<TBackend> : IAsyncLifetime
    where TBackend : QueueBackend, new()
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(16);

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

    private Task<AsyncEvent> EnqueueAsync(string requestId, string payload = "{}")
        => _queue.EnqueueAsync(requestId, Targets.Function(), Encoding.UTF8.GetBytes(payload), CancellationToken.None);

    [Fact]
    public async Task Events_are_taken_oldest_first_with_their_payload_and_target()
    {
        await EnqueueAsync("a", """{"n":1}""");
        _time.Advance(TimeSpan.FromSeconds(1));
        await EnqueueAsync("b", """{"n":2}""");

        var taken = await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None);

        Assert.Equal(["a", "b"], taken.Select(e => e.RequestId));
        Assert.Equal("""{"n":1}""", Encoding.UTF8.GetString(taken[0].Payload.Span));
        Assert.Equal(Targets.Function(), taken[0].Target);
        Assert.All(taken, e => Assert.NotNull(e.LeaseToken));
        Assert.Equal(0, taken[0].Attempts);
    }

    [Fact]
    public async Task A_leased_event_is_not_taken_again_until_its_lease_expires()
    {
        await EnqueueAsync("a");
        var first = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));

        Assert.Empty(await _queue.TakeDueAsync(_time.GetUtcNow().AddMinutes(15), 10, Lease, CancellationToken.None));

        // The taker died: once the lease has run out, the event is handed out again, to a new lease.
        var again = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow() + Lease, 10, Lease, CancellationToken.None));
        Assert.Equal("a", again.RequestId);
        Assert.NotEqual(first.LeaseToken, again.LeaseToken);

        // The first taker's late outcome is refused; the current holder's counts.
        Assert.False(await _queue.CompleteAsync(first, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(again, CancellationToken.None));
        Assert.Null(await _queue.FindAsync("a", CancellationToken.None));
    }

    [Fact]
    public async Task Leased_events_survive_a_restart_and_run_again_after_the_lease()
    {
        await EnqueueAsync("a");
        Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        await _queue.DisposeAsync();

        _queue = _backend.Open(_time);
        Assert.Empty(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        _time.Advance(Lease);
        Assert.Equal("a", Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None)).RequestId);
    }

    [Fact]
    public async Task A_retry_counts_the_attempt_and_waits_until_it_is_due()
    {
        await EnqueueAsync("a");
        var taken = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        var retryAt = _time.GetUtcNow().AddMinutes(1);

        Assert.True(await _queue.RetryLaterAsync(taken, 1, retryAt, "boom", CancellationToken.None));

        Assert.Empty(await _queue.TakeDueAsync(retryAt.AddMilliseconds(-1), 10, Lease, CancellationToken.None));
        var retried = Assert.Single(await _queue.TakeDueAsync(retryAt, 10, Lease, CancellationToken.None));
        Assert.Equal(1, retried.Attempts);
        Assert.Equal("boom", retried.LastError);
        Assert.Equal(retryAt, retried.DueAt);
    }

    [Fact]
    public async Task A_released_event_is_due_again_at_once_without_an_attempt()
    {
        await EnqueueAsync("a");
        var taken = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));

        Assert.True(await _queue.ReleaseAsync(taken, CancellationToken.None));

        var again = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        Assert.Equal(0, again.Attempts);
    }

    [Fact]
    public async Task Dead_letters_leave_the_queue_and_are_listed_per_app_stage_newest_first()
    {
        await EnqueueAsync("a", """{"n":1}""");
        await EnqueueAsync("b");
        await _queue.EnqueueAsync("other-app", Targets.Function(appStageId: 2), "{}"u8.ToArray(), CancellationToken.None);
        var taken = await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));

        foreach (var queued in taken)
        {
            Assert.True(await _queue.DeadLetterAsync(queued, 3, "boom " + queued.RequestId, _time.GetUtcNow(), CancellationToken.None));
        }

        var letters = await _queue.ListDeadLettersAsync(1, null, 100, CancellationToken.None);
        Assert.Equal(["b", "a"], letters.Select(l => l.RequestId));
        var a = letters[1];
        Assert.Equal("boom a", a.Error);
        Assert.Equal(3, a.Attempts);
        Assert.Equal("""{"n":1}""", Encoding.UTF8.GetString(a.Payload.Span));
        Assert.Equal(_time.GetUtcNow().AddMinutes(-3), a.EnqueuedAt);
        Assert.Equal(_time.GetUtcNow(), a.FailedAt);
        Assert.Null(await _queue.FindAsync("a", CancellationToken.None));
        Assert.Empty(await _queue.ListDeadLettersAsync(1, "another-function", 100, CancellationToken.None));
    }

    [Fact]
    public async Task An_event_taken_by_someone_else_cannot_be_dead_lettered_by_a_stale_holder()
    {
        await EnqueueAsync("a");
        var stale = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow() + Lease, 10, Lease, CancellationToken.None));

        Assert.False(await _queue.DeadLetterAsync(stale, 1, "late", _time.GetUtcNow(), CancellationToken.None));
        Assert.Empty(await _queue.ListDeadLettersAsync(1, null, 100, CancellationToken.None));
        Assert.NotNull(await _queue.FindAsync("a", CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_takers_never_get_the_same_event()
    {
        const int events = 40;
        for (var i = 0; i < events; i++)
        {
            await EnqueueAsync($"e{i}");
        }

        // Several workers (each with its own queue object, as separate servers have) drain the queue at once.
        var queues = Enumerable.Range(0, 6).Select(_ => _backend.Open(_time)).ToList();
        try
        {
            var takers = queues.Select(queue => Task.Run(async () =>
            {
                var mine = new List<AsyncEvent>();
                while (await queue.TakeDueAsync(_time.GetUtcNow(), 3, Lease, CancellationToken.None) is { Count: > 0 } taken)
                {
                    mine.AddRange(taken);
                    foreach (var queued in taken)
                    {
                        Assert.True(await queue.CompleteAsync(queued, CancellationToken.None));
                    }
                }

                return mine;
            }));

            var taken = (await Task.WhenAll(takers)).SelectMany(t => t).Select(e => e.RequestId).ToList();

            Assert.Equal(events, taken.Count);
            Assert.Equal(events, taken.Distinct().Count());
            Assert.Empty(await _queue.TakeDueAsync(_time.GetUtcNow() + Lease, 10, Lease, CancellationToken.None));
        }
        finally
        {
            foreach (var queue in queues)
            {
                await queue.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Request_ids_are_unique()
    {
        await EnqueueAsync("a");
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => EnqueueAsync("a"));
    }

    [Fact]
    public async Task After_a_kill_the_next_server_start_releases_the_dead_servers_lease_at_once()
    {
        // Owner A (a server) takes an event with the usual 16-minute lease, then is killed: it never records an outcome.
        await EnqueueAsync("running");
        var killed = _backend.Open(_time);
        Assert.Single(await killed.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        await killed.DisposeAsync(); // the process is gone, and with it its connections

        // Owner B: the restarted server. No time passes.
        await using var restarted = _backend.Open(_time);
        Assert.Empty(await restarted.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        Assert.Equal(1, await restarted.ReleaseLeasesOfDeadOwnersAsync(CancellationToken.None));

        var retaken = Assert.Single(await restarted.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        Assert.Equal(("running", 0), (retaken.RequestId, retaken.Attempts));
        Assert.True(await restarted.CompleteAsync(retaken, CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_dead_owners_leaves_the_own_leases_alone()
    {
        await EnqueueAsync("mine");
        var taken = Assert.Single(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));

        Assert.Equal(0, await _queue.ReleaseLeasesOfDeadOwnersAsync(CancellationToken.None));

        Assert.Empty(await _queue.TakeDueAsync(_time.GetUtcNow(), 10, Lease, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(taken, CancellationToken.None));
    }
}

public sealed class SqliteAsyncEventQueueTests : AsyncEventQueueTests<SqliteQueueBackend>;

public sealed class PostgresAsyncEventQueueTests : AsyncEventQueueTests<PostgresQueueBackend>
{
    [Fact]
    public async Task A_lease_of_a_server_that_is_still_running_is_not_released()
    {
        // Several servers share a PostgreSQL queue: one starting must not take events another is running.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 2, 10, 0, 0, TimeSpan.Zero));
        await using var backend = new PostgresQueueBackend();
        await backend.CreateAsync();
        await using var running = backend.Open(time);
        await running.EnqueueAsync("busy", Targets.Function(), "{}"u8.ToArray(), CancellationToken.None);
        var taken = Assert.Single(await running.TakeDueAsync(time.GetUtcNow(), 10, TimeSpan.FromMinutes(16), CancellationToken.None));

        await using var starting = backend.Open(time);
        Assert.Equal(0, await starting.ReleaseLeasesOfDeadOwnersAsync(CancellationToken.None));
        Assert.Empty(await starting.TakeDueAsync(time.GetUtcNow(), 10, TimeSpan.FromMinutes(16), CancellationToken.None));
        Assert.True(await running.CompleteAsync(taken, CancellationToken.None));
    }
}
