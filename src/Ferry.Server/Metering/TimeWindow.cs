using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ferry.Server.Metering;

/// <summary>Query-string times of the metering API: ISO 8601, UTC unless an offset is given.</summary>
internal static class TimeWindow
{
    /// <summary>The calendar month (UTC) that contains <paramref name="now"/>: [first day 00:00, first day of the next month).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) MonthOf(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        var start = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return (start, start.AddMonths(1));
    }

    /// <summary>Parses an optional parameter; false (with a message naming it) when present but not an ISO 8601 time.</summary>
    public static bool TryParse(string name, string? text, out DateTimeOffset? time, [NotNullWhen(false)] out string? error)
    {
        time = null;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        error = $"'{name}' must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got '{text}'";
        return false;
    }
}
