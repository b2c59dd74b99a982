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
}
