using Ferry.Runtime.Telemetry;
using Ferry.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Telemetry;

public sealed class LogPipelineTests : IAsyncLifetime
{
    private TelemetryStore _telemetry = null!;

    public async Task InitializeAsync() => _telemetry = await TelemetryStore.CreateAsync();

    public async Task DisposeAsync() => await _telemetry.DisposeAsync();

    private LogPipeline NewPipeline() => new(_telemetry.Store, NullLogger<LogPipeline>.Instance, _telemetry.Time);

    private async Task<List<string>> WriteLinesAsync(LogPipeline pipeline, int count)
    {
        var messages = Enumerable.Range(0, count).Select(i => $"line {i}").ToList();
        foreach (var message in messages)
        {
            await pipeline.WriteAsync(_telemetry.Function, "req-1", "i-000000000001", LogStream.Stdout, message, DateTimeOffset.UnixEpoch);
        }

        return messages;
    }

    [Fact]
    public async Task Lines_and_records_of_an_app_removed_while_they_waited_are_dropped_and_the_rest_of_the_batch_is_stored()
    {
        // Both writers batch every app's telemetry together; an app removed while its last lines waited for their batch
        // used to fail the whole batch on the foreign key. The store refuses those rows, and only those are given up.
        var (doomedStage, doomedRevision) = await _telemetry.Store.AddRevisionAsync("default", "doomed", "dev", "local", new string('1', 64), "{}", CancellationToken.None);
        var doomed = _telemetry.Function with { AppStageId = doomedStage.Id, RevisionId = doomedRevision.Id, Service = "doomed" };
        Assert.True(await _telemetry.Store.DeleteAppStageAsync(doomedStage.Id, CancellationToken.None));
        await using var pipeline = NewPipeline();
        await using var recorder = new InvocationRecorder(_telemetry.Store, NullLogger<InvocationRecorder>.Instance, _telemetry.Time);

        await pipeline.WriteAsync(_telemetry.Function, "r-kept", "i-000000000001", LogStream.Stdout, "first", DateTimeOffset.UnixEpoch);
        await pipeline.WriteAsync(doomed, "r-late", "i-000000000002", LogStream.Stdout, "late", DateTimeOffset.UnixEpoch);
        await pipeline.WriteAsync(_telemetry.Function, "r-kept", "i-000000000001", LogStream.Stdout, "second", DateTimeOffset.UnixEpoch);
        recorder.Record(_telemetry.Invocation(1) with { AppStageId = doomedStage.Id, RevisionId = doomedRevision.Id, RequestId = "r-late" });
        recorder.Record(_telemetry.Invocation(2) with { RequestId = "r-kept" });
        await pipeline.FlushAsync(CancellationToken.None);
        await recorder.FlushAsync(CancellationToken.None);

        var stored = await _telemetry.StoredLogsAsync();
        Assert.Equal(["first", "second"], stored.Select(l => l.Message));
        Assert.True(stored[0].Id < stored[1].Id);
        Assert.Equal(["r-kept"], (await _telemetry.StoredInvocationsAsync()).Select(i => i.RequestId));
    }

    [Fact]
    public async Task Flush_stores_every_line_so_far_in_order_without_waiting_for_the_batch_window()
    {
        await using var pipeline = NewPipeline();
        var written = await WriteLinesAsync(pipeline, 1_200);

        await pipeline.FlushAsync(CancellationToken.None); // the fake clock never moves

        Assert.Equal(written, (await _telemetry.StoredLogsAsync()).Select(l => l.Message));
    }

    [Fact]
    public async Task Disposing_stores_every_queued_line_in_order()
    {
        var pipeline = NewPipeline();
        var written = await WriteLinesAsync(pipeline, 1_200);

        await pipeline.DisposeAsync();

        Assert.Equal(written, (await _telemetry.StoredLogsAsync()).Select(l => l.Message));
    }

    [Fact]
    public async Task A_live_subscriber_gets_lines_as_they_are_stored_without_waiting_for_the_batch_window()
    {
        await using var pipeline = NewPipeline();
        using var subscription = pipeline.Subscribe(_telemetry.Function.AppStageId, _telemetry.Function.Name);

        var written = await WriteLinesAsync(pipeline, 3);

        var received = new List<LogEntry>();
        while (received.Count < written.Count)
        {
            received.Add(await subscription.Entries.ReadAsync(CancellationToken.None)); // the fake clock never moves
        }

        Assert.Equal(written, received.Select(l => l.Message));
        Assert.Equal(await _telemetry.StoredLogsAsync(), received);
    }

    [Fact]
    public async Task The_pipeline_needs_only_a_log_sink_and_publishes_the_ids_the_sink_gave()
    {
        var sink = new RecordingLogSink(firstId: 1001);
        await using var pipeline = new LogPipeline(sink, NullLogger<LogPipeline>.Instance, _telemetry.Time);
        using var subscription = pipeline.Subscribe(_telemetry.Function.AppStageId, _telemetry.Function.Name);

        var written = await WriteLinesAsync(pipeline, 3);

        var received = new List<LogEntry>();
        while (received.Count < written.Count)
        {
            received.Add(await subscription.Entries.ReadAsync(CancellationToken.None));
        }

        Assert.Equal(written, sink.Received.Select(e => e.Message));
        Assert.Equal([1001L, 1002L, 1003L], received.Select(e => e.Id));
        Assert.Equal(written, received.Select(e => e.Message));
        Assert.Empty(await _telemetry.StoredLogsAsync());
    }

    /// <summary>Keeps what it is given and numbers it, as a store would.</summary>
    private sealed class RecordingLogSink(long firstId) : ILogSink
    {
        private readonly Lock _gate = new();
        private long _nextId = firstId;

        public List<NewLogEntry> Received { get; } = [];

        public Task<IReadOnlyList<LogEntry>> AppendLogsAsync(IReadOnlyList<NewLogEntry> entries, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Received.AddRange(entries);
                return Task.FromResult<IReadOnlyList<LogEntry>>([.. entries.SelectMany(e => e.Stored((_nextId += e.LineCount) - 1))]);
            }
        }
    }
}
