using Ferry.Triggers.Async;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Triggers.Schedules;

/// <summary>
/// Fires scheduled functions: every tick it reads the schedules of the revisions being served (so schedules follow
/// deploys and removals), and submits an event for each one that is due to the asynchronous queue, where it gets
/// the same retries and dead letters as any <c>Event</c> invocation.
/// </summary>
public sealed partial class FunctionScheduler(
    IScheduleSource source,
    AsyncInvocations invocations,
    SchedulerOptions options,
    TimeProvider time,
    ILogger<FunctionScheduler> logger) : BackgroundService
{
    private readonly ScheduleBook _book = new();

    /// <summary>When <paramref name="schedule"/> fires next, if the scheduler has seen it.</summary>
    public DateTimeOffset? NextFiring(ScheduledFunction schedule) => _book.NextFiring(schedule);

    /// <summary>
    /// Fires what is due at <paramref name="now"/>; returns how many events were submitted. The background loop calls
    /// this with the clock's time; tests can pass a later time instead of waiting.
    /// </summary>
    public async Task<int> TickAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var submitted = 0;
        foreach (var firing in _book.Advance(source.CurrentSchedules(), now))
        {
            var requestId = Guid.NewGuid().ToString();
            var target = firing.Schedule.Target;
            try
            {
                await invocations.SubmitAsync(target, ScheduledEventDocument.For(firing, requestId), requestId, cancellationToken);
                LogFired(target.ToString(), firing.Schedule.Expression.Text, requestId);
                submitted++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSubmitFailed(ex, target.ToString(), firing.Schedule.Expression.Text, firing.ScheduledTime);
            }
        }

        return submitted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.TickInterval, time);
        try
        {
            do
            {
                try
                {
                    await TickAsync(time.GetUtcNow(), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTickFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Expression} of {Target} fired: event {RequestId}")]
    private partial void LogFired(string target, string expression, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Schedule {Expression} of {Target} was due at {ScheduledTime:O} but its event could not be queued; this occurrence is skipped")]
    private partial void LogSubmitFailed(Exception exception, string target, string expression, DateTimeOffset scheduledTime);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking schedules failed")]
    private partial void LogTickFailed(Exception exception);
}
