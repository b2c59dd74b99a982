using Ferry.Triggers.Async;

namespace Ferry.Triggers.Schedules;

/// <summary>
/// When each schedule fires next. A schedule seen for the first time (a new deploy) starts counting from that moment;
/// a schedule no longer present (replaced by a deploy, app removed) is forgotten. Occurrences missed while the server
/// was not running are not made up: a late schedule fires once and continues with its next future occurrence.
/// </summary>
public sealed class ScheduleBook
{
    private readonly Lock _gate = new();
    private Dictionary<ScheduleKey, DateTimeOffset?> _next = [];

    /// <summary>Brings the book up to <paramref name="now"/> for the given schedules; returns the ones that fire.</summary>
    public IReadOnlyList<ScheduleFiring> Advance(IReadOnlyList<ScheduledFunction> schedules, DateTimeOffset now)
    {
        var firings = new List<ScheduleFiring>();
        lock (_gate)
        {
            var next = new Dictionary<ScheduleKey, DateTimeOffset?>(schedules.Count);
            foreach (var schedule in schedules)
            {
                var key = ScheduleKey.Of(schedule);
                if (next.ContainsKey(key))
                {
                    continue;
                }

                if (!_next.TryGetValue(key, out var due))
                {
                    next[key] = schedule.Expression.NextAfter(now);
                    continue;
                }

                if (due is { } scheduledTime && scheduledTime <= now)
                {
                    firings.Add(new ScheduleFiring(schedule, scheduledTime));
                    due = schedule.Expression.NextAfter(scheduledTime);
                    if (due <= now)
                    {
                        due = schedule.Expression.NextAfter(now);
                    }
                }

                next[key] = due;
            }

            _next = next;
        }

        return firings;
    }

    /// <summary>When the schedule fires next; null when it is not in the book (or never fires again).</summary>
    public DateTimeOffset? NextFiring(ScheduledFunction schedule)
    {
        lock (_gate)
        {
            return _next.TryGetValue(ScheduleKey.Of(schedule), out var due) ? due : null;
        }
    }

    private readonly record struct ScheduleKey(FunctionAddress Target, long RevisionId, int Index, string Expression)
    {
        public static ScheduleKey Of(ScheduledFunction schedule) => new(schedule.Target, schedule.RevisionId, schedule.Index, schedule.Expression.Text);
    }
}

/// <summary>A schedule that is due, and the time it was due at.</summary>
public sealed record ScheduleFiring(ScheduledFunction Schedule, DateTimeOffset ScheduledTime);
