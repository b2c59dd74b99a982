using Ferry.Runtime.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Telemetry;

public sealed class InvocationRecorderTests : IAsyncLifetime
{
    private TelemetryStore _telemetry = null!;

    public async Task InitializeAsync() => _telemetry = await TelemetryStore.CreateAsync();

    public async Task DisposeAsync() => await _telemetry.DisposeAsync();

    [Fact]
    public async Task Flush_stores_every_record_so_far_without_waiting_for_the_batch_window()
    {
        await using var recorder = new InvocationRecorder(_telemetry.Store, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        var recorded = Enumerable.Range(0, 2_500).Select(_telemetry.Invocation).ToList();
        recorded.ForEach(recorder.Record);

        await recorder.FlushAsync(CancellationToken.None); // the fake clock never moves

        var stored = await _telemetry.StoredInvocationsAsync();
        Assert.Equal(recorded.Select(r => r.RequestId).Order(), stored.Select(r => r.RequestId).Order());
    }

    [Fact]
    public async Task Disposing_stores_every_queued_record()
    {
        var recorder = new InvocationRecorder(_telemetry.Store, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        var recorded = Enumerable.Range(0, 1_500).Select(_telemetry.Invocation).ToList();
        recorded.ForEach(recorder.Record);

        await recorder.DisposeAsync();

        var stored = await _telemetry.StoredInvocationsAsync();
        Assert.Equal(recorded.Select(r => r.RequestId).Order(), stored.Select(r => r.RequestId).Order());
        Assert.Equal(recorded.OrderBy(r => r.RequestId), stored.OrderBy(r => r.RequestId));
    }

    [Fact]
    public async Task Records_are_stored_once_the_batch_window_has_passed()
    {
        await using var recorder = new InvocationRecorder(_telemetry.Store, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        recorder.Record(_telemetry.Invocation(1));

        // The writer starts its window when it sees the record; move the clock until it has stored it.
        IReadOnlyList<Store.InvocationRecord> stored = [];
        for (var attempt = 0; attempt < 1_000 && stored.Count == 0; attempt++)
        {
            _telemetry.Time.Advance(InvocationRecorder.BatchWindow);
            await Task.Delay(10);
            stored = await _telemetry.StoredInvocationsAsync();
        }

        Assert.Equal("req-1", Assert.Single(stored).RequestId);
    }

    [Fact]
    public async Task A_batch_the_store_refuses_for_a_moment_is_stored_on_a_later_attempt()
    {
        // Invocation records are what tenants are billed by: a store that is briefly unavailable must not lose them.
        var sink = new FlakySink(failures: 2);
        await using var recorder = new InvocationRecorder(sink, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        var recorded = Enumerable.Range(0, 10).Select(_telemetry.Invocation).ToList();
        recorded.ForEach(recorder.Record);

        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(3, sink.Calls);
        Assert.Equal(recorded, sink.Stored);
    }

    [Fact]
    public async Task A_store_unavailable_past_the_patience_costs_that_batch_and_the_next_one_is_stored()
    {
        var sink = new FlakySink(failures: 1);
        var attempts = new TelemetryStoreAttempts(patience: TimeSpan.Zero); // no wait fits: the first failure gives up
        await using var recorder = new InvocationRecorder(sink, NullLogger<InvocationRecorder>.Instance, _telemetry.Time, attempts);
        recorder.Record(_telemetry.Invocation(1));
        await recorder.FlushAsync(CancellationToken.None);

        recorder.Record(_telemetry.Invocation(2));
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(2, sink.Calls);
        Assert.Equal(["req-2"], sink.Stored.Select(r => r.RequestId));
    }

    [Fact]
    public async Task Disposing_does_not_wait_for_a_store_that_is_unavailable()
    {
        // A shutdown must end: the minute of patience the records get while the server runs is not waited at disposal.
        var sink = new FlakySink(failures: int.MaxValue);
        var recorder = new InvocationRecorder(sink, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        recorder.Record(_telemetry.Invocation(1)); // the fake clock never ends the batch window: disposal stores it

        await recorder.DisposeAsync();

        Assert.Equal(1, sink.Calls);
        Assert.Empty(sink.Stored);
    }

    [Fact]
    public async Task A_record_the_store_refuses_costs_only_itself()
    {
        // The batch holds every function's records of the moment: one the schema refuses (no function name here) must
        // not take the others with it.
        await using var recorder = new InvocationRecorder(_telemetry.Store, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        var recorded = Enumerable.Range(0, 9).Select(_telemetry.Invocation).ToList();
        recorded.ForEach(recorder.Record);
        recorder.Record(_telemetry.Invocation(9) with { Function = null! });

        await recorder.FlushAsync(CancellationToken.None);

        var stored = await _telemetry.StoredInvocationsAsync();
        Assert.Equal(recorded.Select(r => r.RequestId).Order(), stored.Select(r => r.RequestId).Order());
    }

    private sealed class FlakySink(int failures) : Store.IInvocationSink
    {
        private readonly List<Store.InvocationRecord> _stored = [];

        public int Calls { get; private set; }

        public IReadOnlyList<Store.InvocationRecord> Stored => _stored;

        public Task RecordInvocationsAsync(IReadOnlyList<Store.InvocationRecord> invocations, CancellationToken cancellationToken)
        {
            if (++Calls <= failures)
            {
                throw new InvalidOperationException("the store is unavailable");
            }

            _stored.AddRange(invocations);
            return Task.CompletedTask;
        }
    }
}
