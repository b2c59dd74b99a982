using Ferry.Resources.Queues;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Resources.Tests.Queues;

/// <summary>The durable queue store: visibility, receive counts, redrive, delay, retention, FIFO and restarts (a moved fake clock, no waiting).</summary>
public sealed class QueueStoreTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ferry-queue-store-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private QueueStore _store = null!;

    private string DatabasePath => Path.Combine(_directory, "queues.db");

    public Task InitializeAsync()
    {
        _store = new QueueStore(DatabasePath, _clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static OutgoingMessage Message(string body, string? group = null, string? dedup = null) =>
        new(body, new Dictionary<string, MessageAttributeValue>(), GroupId: group, DeduplicationId: dedup);

    private Task<IReadOnlyList<ReceivedMessage>> ReceiveAsync(QueueInfo queue, int limit = 10, int visibilitySeconds = 30) =>
        _store.ReceiveAsync(queue, limit, TimeSpan.FromSeconds(visibilitySeconds), CancellationToken.None);

    [Fact]
    public async Task A_received_message_is_hidden_for_the_visibility_timeout_and_then_received_again()
    {
        var queue = await _store.EnsureAsync(new("acme", "jobs"), "acme/app/dev/local", new QueueSettings(), CancellationToken.None);
        await _store.SendAsync(queue, Message("one"), CancellationToken.None);

        var first = Assert.Single(await ReceiveAsync(queue));
        Assert.Equal(1, first.ReceiveCount);
        Assert.Empty(await ReceiveAsync(queue));
        Assert.Equal(new QueueCounts(0, 1, 0), await _store.CountAsync(queue, CancellationToken.None));

        _clock.Advance(TimeSpan.FromSeconds(30));
        var second = Assert.Single(await ReceiveAsync(queue));
        Assert.Equal(2, second.ReceiveCount);
        Assert.NotEqual(first.ReceiptHandle, second.ReceiptHandle);

        // The first receive's handle no longer deletes the message; the current one does.
        await _store.DeleteMessageAsync(queue, first.ReceiptHandle, CancellationToken.None);
        Assert.Equal(new QueueCounts(0, 1, 0), await _store.CountAsync(queue, CancellationToken.None));
        await _store.DeleteMessageAsync(queue, second.ReceiptHandle, CancellationToken.None);
        Assert.Equal(new QueueCounts(0, 0, 0), await _store.CountAsync(queue, CancellationToken.None));
    }

    [Fact]
    public async Task Messages_received_max_receive_count_times_move_to_the_dead_letter_queue()
    {
        var dlq = await _store.EnsureAsync(new("acme", "jobs-dlq"), null, new QueueSettings(), CancellationToken.None);
        var queue = await _store.EnsureAsync(new("acme", "jobs"), null, new QueueSettings { DeadLetterQueue = "jobs-dlq", MaxReceiveCount = 2 }, CancellationToken.None);
        await _store.SendAsync(queue, Message("poison"), CancellationToken.None);

        for (var i = 0; i < 2; i++)
        {
            Assert.Single(await ReceiveAsync(queue, visibilitySeconds: 1));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Empty(await ReceiveAsync(queue));
        var dead = Assert.Single(await ReceiveAsync(dlq));
        Assert.Equal("poison", dead.Body);
        Assert.Equal(1, dead.ReceiveCount);
    }

    [Fact]
    public async Task Delayed_messages_appear_after_the_delay_and_old_ones_expire()
    {
        var queue = await _store.EnsureAsync(new("acme", "jobs"), null, new QueueSettings { DelaySeconds = 10, MessageRetentionSeconds = 60 }, CancellationToken.None);
        await _store.SendAsync(queue, Message("later"), CancellationToken.None);
        await _store.SendAsync(queue, Message("now") with { DelaySeconds = 0 }, CancellationToken.None);

        Assert.Equal(["now"], (await ReceiveAsync(queue)).Select(m => m.Body));
        Assert.Equal(new QueueCounts(0, 1, 1), await _store.CountAsync(queue, CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["later"], (await ReceiveAsync(queue, visibilitySeconds: 1)).Select(m => m.Body));

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(await ReceiveAsync(queue));
        Assert.Equal(new QueueCounts(0, 0, 0), await _store.CountAsync(queue, CancellationToken.None));
    }

    [Fact]
    public async Task Messages_survive_a_restart()
    {
        var queue = await _store.EnsureAsync(new("acme", "jobs"), null, new QueueSettings(), CancellationToken.None);
        await _store.SendAsync(queue, Message("durable"), CancellationToken.None);
        await _store.DisposeAsync();

        _store = new QueueStore(DatabasePath, _clock);
        var reopened = await _store.FindAsync(new("acme", "jobs"), CancellationToken.None);
        Assert.Equal("durable", Assert.Single(await ReceiveAsync(reopened!)).Body);
    }

    [Fact]
    public async Task A_fifo_queue_keeps_group_order_and_drops_duplicates_for_five_minutes()
    {
        var queue = await _store.EnsureAsync(new("acme", "jobs.fifo"), null, new QueueSettings { Fifo = true }, CancellationToken.None);
        var a = await _store.SendAsync(queue, Message("a1", "a", "d1"), CancellationToken.None);
        await _store.SendAsync(queue, Message("a2", "a", "d2"), CancellationToken.None);
        await _store.SendAsync(queue, Message("b1", "b", "d3"), CancellationToken.None);
        var duplicate = await _store.SendAsync(queue, Message("a1 again", "a", "d1"), CancellationToken.None);
        Assert.Equal(a.MessageId, duplicate.MessageId);

        var first = Assert.Single(await ReceiveAsync(queue, limit: 1));
        Assert.Equal("a1", first.Body);
        // Group "a" has a message in flight: only group "b" gives messages now.
        Assert.Equal(["b1"], (await ReceiveAsync(queue)).Select(m => m.Body));
        await _store.DeleteMessageAsync(queue, first.ReceiptHandle, CancellationToken.None);
        Assert.Equal(["a2"], (await ReceiveAsync(queue)).Select(m => m.Body));

        _clock.Advance(QueueStore.DeduplicationInterval);
        var later = await _store.SendAsync(queue, Message("a1 later", "a", "d1"), CancellationToken.None);
        Assert.NotEqual(a.MessageId, later.MessageId);
    }

    [Fact]
    public async Task A_queue_name_belongs_to_one_app_stage()
    {
        await _store.EnsureAsync(new("acme", "jobs"), "acme/shop/dev/local", new QueueSettings(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _store.EnsureAsync(new("acme", "jobs"), "acme/blog/dev/local", new QueueSettings(), CancellationToken.None));
        // Another tenant has its own namespace.
        await _store.EnsureAsync(new("other", "jobs"), "other/blog/dev/local", new QueueSettings(), CancellationToken.None);
    }

    [Fact]
    public async Task A_receipt_handle_of_another_queue_is_invalid()
    {
        var jobs = await _store.EnsureAsync(new("acme", "jobs"), null, new QueueSettings(), CancellationToken.None);
        var other = await _store.EnsureAsync(new("acme", "other"), null, new QueueSettings(), CancellationToken.None);
        await _store.SendAsync(jobs, Message("x"), CancellationToken.None);
        var received = Assert.Single(await ReceiveAsync(jobs));

        var error = await Assert.ThrowsAsync<SqsException>(() => _store.DeleteMessageAsync(other, received.ReceiptHandle, CancellationToken.None));
        Assert.Equal("ReceiptHandleIsInvalid", error.Code);
        await Assert.ThrowsAsync<SqsException>(() => _store.DeleteMessageAsync(jobs, "not-a-handle", CancellationToken.None));
    }
}
