namespace Ferry.Triggers.Schedules;

public sealed record SchedulerOptions
{
    /// <summary>How often schedules are checked; cron's resolution is a minute, so a second is plenty.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);
}
