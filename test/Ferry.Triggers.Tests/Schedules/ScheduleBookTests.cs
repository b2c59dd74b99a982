using Ferry.Manifest;
using Ferry.Triggers.Schedules;

namespace Ferry.Triggers.Tests.Schedules;

public sealed class ScheduleBookTests
{
    private static readonly DateTimeOffset Deployed = new(2025, 6, 2, 10, 0, 30, TimeSpan.Zero);

    private static ScheduledFunction Schedule(string expression, long revisionId = 1, int index = 0)
        => new(Targets.Function(), revisionId, index, ScheduleExpression.Parse(expression), Input: null);

    [Fact]
    public void A_rate_schedule_fires_every_interval_after_it_appears()
    {
        var book = new ScheduleBook();
        var every5 = Schedule("rate(5 minutes)");

        Assert.Empty(book.Advance([every5], Deployed));
        Assert.Empty(book.Advance([every5], Deployed.AddMinutes(4)));
        Assert.Equal([new ScheduleFiring(every5, Deployed.AddMinutes(5))], book.Advance([every5], Deployed.AddMinutes(5)));
        Assert.Empty(book.Advance([every5], Deployed.AddMinutes(9)));
        Assert.Equal([new ScheduleFiring(every5, Deployed.AddMinutes(10))], book.Advance([every5], Deployed.AddMinutes(10).AddSeconds(1)));
    }

    [Fact]
    public void A_cron_schedule_fires_at_its_minutes_in_utc()
    {
        var book = new ScheduleBook();
        var noon = Schedule("cron(0 12 * * ? *)");

        book.Advance([noon], Deployed);
        Assert.Equal(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero), book.NextFiring(noon));
        Assert.Empty(book.Advance([noon], new DateTimeOffset(2025, 6, 2, 11, 59, 59, TimeSpan.Zero)));

        var fired = Assert.Single(book.Advance([noon], new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero), fired.ScheduledTime);
        Assert.Equal(new DateTimeOffset(2025, 6, 3, 12, 0, 0, TimeSpan.Zero), book.NextFiring(noon));
    }

    [Fact]
    public void Missed_occurrences_fire_once_and_the_schedule_continues_from_now()
    {
        var book = new ScheduleBook();
        var everyMinute = Schedule("rate(1 minute)");
        book.Advance([everyMinute], Deployed);

        var late = Deployed.AddHours(3);
        var fired = Assert.Single(book.Advance([everyMinute], late));

        Assert.Equal(Deployed.AddMinutes(1), fired.ScheduledTime);
        Assert.Equal(late.AddMinutes(1), book.NextFiring(everyMinute));
    }

    [Fact]
    public void A_new_revision_starts_its_schedules_afresh_and_removed_ones_stop()
    {
        var book = new ScheduleBook();
        var old = Schedule("rate(1 minute)", revisionId: 1);
        book.Advance([old], Deployed);

        var redeployed = Schedule("rate(1 minute)", revisionId: 2);
        var redeployAt = Deployed.AddSeconds(50);
        Assert.Empty(book.Advance([redeployed], redeployAt));
        Assert.Null(book.NextFiring(old));

        Assert.Empty(book.Advance([redeployed], Deployed.AddMinutes(1)));
        Assert.Single(book.Advance([redeployed], redeployAt.AddMinutes(1)));

        Assert.Empty(book.Advance([], redeployAt.AddMinutes(5)));
        Assert.Null(book.NextFiring(redeployed));
    }

    [Fact]
    public void Schedules_of_one_function_are_kept_apart()
    {
        var book = new ScheduleBook();
        var first = Schedule("rate(1 minute)", index: 0);
        var second = Schedule("rate(2 minutes)", index: 1);
        book.Advance([first, second], Deployed);

        Assert.Equal([first, second], book.Advance([first, second], Deployed.AddMinutes(2)).Select(f => f.Schedule));
    }
}
