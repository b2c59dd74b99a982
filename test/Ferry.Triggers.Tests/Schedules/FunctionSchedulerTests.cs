using System.Text.Json;
using Ferry.Manifest;
using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Triggers.Tests.Schedules;

public sealed class FunctionSchedulerTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 11, 59, 30, TimeSpan.Zero));
    private readonly Source _source = new();
    private AsyncEventQueue _queue = null!;
    private AsyncEventWorker _worker = null!;
    private FunctionScheduler _scheduler = null!;

    public Task InitializeAsync()
    {
        _queue = _database.OpenQueue(_time);
        var options = new AsyncInvocationOptions();
        _worker = new AsyncEventWorker(_queue, new NeverCalled(), options, _time, NullLogger<AsyncEventWorker>.Instance);
        _scheduler = new FunctionScheduler(_source, new AsyncInvocations(_queue, _worker, options), new SchedulerOptions(), _time,
            NullLogger<FunctionScheduler>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _scheduler.Dispose();
        _worker.Dispose();
        await _queue.DisposeAsync();
        _database.Dispose();
    }

    private async Task<IReadOnlyList<AsyncEvent>> QueuedAsync()
        => await _queue.TakeDueAsync(_time.GetUtcNow().AddYears(1), 100, TimeSpan.FromMinutes(1), CancellationToken.None);

    [Fact]
    public async Task A_due_schedule_queues_an_eventbridge_scheduled_event_for_its_function()
    {
        var noon = new ScheduledFunction(Targets.Function("report"), 7, 0, ScheduleExpression.Parse("cron(0 12 * * ? *)"), Input: null);
        _source.Schedules = [noon];

        Assert.Equal(0, await _scheduler.TickAsync(_time.GetUtcNow(), CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await _scheduler.TickAsync(_time.GetUtcNow(), CancellationToken.None));

        var queued = Assert.Single(await QueuedAsync());
        Assert.Equal(Targets.Function("report"), queued.Target);
        using var document = JsonDocument.Parse(queued.Payload);
        var root = document.RootElement;
        Assert.Equal("0", root.GetProperty("version").GetString());
        Assert.Equal(queued.RequestId, root.GetProperty("id").GetString());
        Assert.Equal("Scheduled Event", root.GetProperty("detail-type").GetString());
        Assert.Equal("aws.events", root.GetProperty("source").GetString());
        Assert.Equal("2025-06-02T12:00:00Z", root.GetProperty("time").GetString());
        Assert.Equal("local", root.GetProperty("region").GetString());
        Assert.Equal(["arn:aws:events:local:000000000000:rule/shop-dev-report-schedule-1"], root.GetProperty("resources").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(JsonValueKind.Object, root.GetProperty("detail").ValueKind);
        Assert.Empty(root.GetProperty("detail").EnumerateObject());
    }

    [Fact]
    public async Task A_schedule_with_input_sends_the_input_as_the_event()
    {
        _source.Schedules = [new ScheduledFunction(Targets.Function(), 1, 0, ScheduleExpression.Parse("rate(1 minute)"), """{"job":"cleanup"}""")];

        await _scheduler.TickAsync(_time.GetUtcNow(), CancellationToken.None);
        await _scheduler.TickAsync(_time.GetUtcNow().AddMinutes(1), CancellationToken.None);

        Assert.Equal("""{"job":"cleanup"}""", System.Text.Encoding.UTF8.GetString(Assert.Single(await QueuedAsync()).Payload.Span));
    }

    [Fact]
    public async Task Schedules_that_disappear_stop_firing()
    {
        var schedule = new ScheduledFunction(Targets.Function(), 1, 0, ScheduleExpression.Parse("rate(1 minute)"), null);
        _source.Schedules = [schedule];
        await _scheduler.TickAsync(_time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(_time.GetUtcNow().AddMinutes(1), _scheduler.NextFiring(schedule));

        _source.Schedules = [];
        Assert.Equal(0, await _scheduler.TickAsync(_time.GetUtcNow().AddMinutes(5), CancellationToken.None));
        Assert.Empty(await QueuedAsync());
    }

    private sealed class Source : IScheduleSource
    {
        public IReadOnlyList<ScheduledFunction> Schedules { get; set; } = [];

        public IReadOnlyList<ScheduledFunction> CurrentSchedules() => Schedules;
    }

    private sealed class NeverCalled : IAsyncEventTarget
    {
        public Task<AsyncInvocationOutcome> InvokeAsync(AsyncEvent queued, CancellationToken cancellationToken)
            => throw new InvalidOperationException("the worker is not running in these tests");
    }
}
