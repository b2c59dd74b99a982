namespace Ferry.Runtime.Quotas;

/// <summary>
/// Log volume per tenant and UTC day, counted by this server process as lines are stored (message bytes, UTF-8).
/// Past the tenant's daily quota further lines are dropped; the first dropped line is replaced by one marker line.
/// The count starts at zero when the server starts, so a restart forgets the day's volume so far.
/// </summary>
public sealed class TenantLogBudget(ITenantLimitSource limits)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DayCount> _days = new(StringComparer.Ordinal);

    /// <summary>Whether a line of <paramref name="bytes"/> of <paramref name="tenant"/> at <paramref name="time"/> is stored.</summary>
    public LogAdmission Admit(string tenant, long bytes, DateTimeOffset time)
    {
        var limit = limits.For(tenant).MaxLogBytesPerDay;
        var day = DateOnly.FromDateTime(time.UtcDateTime);
        lock (_gate)
        {
            var count = _days.GetValueOrDefault(tenant);
            if (count.Day != day)
            {
                count = new DayCount(day, 0, MarkerWritten: false, LimitAtMarker: 0);
            }
            else if (count.MarkerWritten && limit > count.LimitAtMarker)
            {
                // An admin raised the quota: lines are stored again (a later overflow writes a new marker).
                count = count with { MarkerWritten = false };
            }

            LogAdmission admission;
            // Once a line did not fit, the day is over for the tenant: smaller lines after it are dropped too.
            if (!count.MarkerWritten && count.Bytes + bytes <= limit)
            {
                count = count with { Bytes = count.Bytes + bytes };
                admission = LogAdmission.Store;
            }
            else
            {
                admission = count.MarkerWritten ? LogAdmission.Drop : LogAdmission.DropWithMarker;
                count = count with { MarkerWritten = true, LimitAtMarker = limit };
            }

            _days[tenant] = count;
            return admission;
        }
    }

    /// <summary>The marker line stored in place of the first dropped line of a day.</summary>
    public string MarkerLine(string tenant)
    {
        var limitMb = limits.For(tenant).MaxLogBytesPerDay / (1024 * 1024);
        return $"log quota exceeded ({limitMb} MB/day): further log lines of tenant '{tenant}' are dropped until 00:00 UTC; " +
               $"ask an admin to raise it: ferry tenant quota set {tenant} --log-mb N";
    }

    /// <summary>Log bytes stored for the tenant today (UTC) by this server process.</summary>
    public long BytesToday(string tenant, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _days.TryGetValue(tenant, out var count) && count.Day == DateOnly.FromDateTime(now.UtcDateTime) ? count.Bytes : 0;
        }
    }

    private readonly record struct DayCount(DateOnly Day, long Bytes, bool MarkerWritten, long LimitAtMarker);
}

public enum LogAdmission
{
    Store,
    /// <summary>Over quota: store the marker line instead (the first dropped line of the day).</summary>
    DropWithMarker,
    Drop,
}
