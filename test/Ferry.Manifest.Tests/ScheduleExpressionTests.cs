namespace Ferry.Manifest.Tests;

public sealed class ScheduleExpressionTests
{
    private static readonly DateTimeOffset Monday = new(2025, 6, 2, 10, 30, 0, TimeSpan.Zero); // 2025-06-02 is a Monday

    [Theory]
    [InlineData("rate(1 minute)", 1)]
    [InlineData("rate(15 minutes)", 15)]
    [InlineData("rate(1 hour)", 60)]
    [InlineData("rate(3 hours)", 180)]
    [InlineData("rate(1 day)", 1440)]
    [InlineData(" rate( 2 days ) ", 2880)]
    public void Rates_fire_every_interval(string text, int minutes)
    {
        var rate = Assert.IsType<RateSchedule>(ScheduleExpression.Parse(text));

        Assert.Equal(TimeSpan.FromMinutes(minutes), rate.Interval);
        Assert.Equal(Monday.AddMinutes(minutes), rate.NextAfter(Monday));
    }

    [Theory]
    [InlineData("cron(0 12 * * ? *)", "0 12 * * *")]
    [InlineData("cron(15 10 ? * 6L *)", "15 10 * * 5L")]
    [InlineData("cron(0/15 * ? * 2-6 *)", "0/15 * * * 1-5")]
    [InlineData("cron(0 8 ? * 1,7 *)", "0 8 * * 0,6")]
    [InlineData("cron(0 9 ? * MON-FRI *)", "0 9 * * MON-FRI")]
    [InlineData("cron(0 9 ? * 3#2 *)", "0 9 * * 2#2")]
    [InlineData("cron(0 18 L * ? *)", "0 18 L * *")]
    [InlineData("cron(0 0 1 JAN,JUL ? *)", "0 0 1 JAN,JUL *")]
    public void Aws_cron_is_converted_to_cronos(string text, string cronos)
    {
        Assert.Equal(cronos, Assert.IsType<CronSchedule>(ScheduleExpression.Parse(text)).CronosExpression);
    }

    [Theory]
    [InlineData("cron(0 12 * * ? *)", "2025-06-02T12:00:00Z")]
    [InlineData("cron(0 9 ? * 2 *)", "2025-06-09T09:00:00Z")] // 2 is Monday in AWS: 09:00 today has passed
    [InlineData("cron(0 11 ? * 2 *)", "2025-06-02T11:00:00Z")]
    [InlineData("cron(0 8 ? * 1 *)", "2025-06-08T08:00:00Z")] // 1 is Sunday
    [InlineData("cron(0 8 ? * 7 *)", "2025-06-07T08:00:00Z")] // 7 is Saturday
    [InlineData("cron(*/20 * * * ? *)", "2025-06-02T10:40:00Z")]
    public void Cron_fires_at_the_next_matching_minute_in_utc(string text, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ScheduleExpression.Parse(text).NextAfter(Monday));
    }

    [Theory]
    [InlineData("rate(1 minutes)", "'rate(1 minutes)' must say '1 minute': the unit is singular for 1 and plural otherwise")]
    [InlineData("rate(2 weeks)", "'rate(2 weeks)' must be rate(N unit)")]
    [InlineData("rate(-1 days)", "'rate(-1 days)' must be rate(N unit)")]
    [InlineData("cron(0 12 * * ? 2030)", "the year field must be '*'")]
    [InlineData("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'")]
    [InlineData("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'")]
    [InlineData("cron(? 12 * * ? *)", "'?' is only allowed in day-of-month or day-of-week, not in minutes")]
    [InlineData("cron(0 12 ? * 8 *)", "day-of-week '8' must use days 1-7 (1 = SUN) or SUN-SAT")]
    [InlineData("cron(0 12 ? * 0 *)", "day-of-week '0' must use days 1-7 (1 = SUN) or SUN-SAT")]
    [InlineData("cron(61 12 * * ? *)", "'cron(61 12 * * ? *)' is not a valid cron expression: ")]
    [InlineData("cron(0 25 * * ? *)", "'cron(0 25 * * ? *)' is not a valid cron expression: ")]
    [InlineData("at(2025-01-01T00:00:00)", "must be 'rate(")]
    [InlineData("", "must be 'rate(")]
    public void Invalid_expressions_say_why(string text, string problemPart)
    {
        Assert.False(ScheduleExpression.TryParse(text, out var expression, out var problem));
        Assert.Null(expression);
        Assert.Contains(problemPart, problem, StringComparison.Ordinal);

        var thrown = Assert.Throws<FormatException>(() => ScheduleExpression.Parse(text));
        Assert.Equal(problem, thrown.Message);
    }
}
