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
    public async Task A_batch_refused_at_every_attempt_is_given_up_and_the_next_one_is_stored()
    {
        var sink = new FlakySink(failures: 5);
        await using var recorder = new InvocationRecorder(sink, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);
        recorder.Record(_telemetry.Invocation(1));
        await recorder.FlushAsync(CancellationToken.None);

        recorder.Record(_telemetry.Invocation(2));
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(6, sink.Calls);
        Assert.Equal(["req-2"], sink.Stored.Select(r => r.RequestId));
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
