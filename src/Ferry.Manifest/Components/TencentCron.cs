using System.Text;
using System.Text.RegularExpressions;

namespace Ferry.Manifest.Components;

/// <summary>
/// Converts a Serverless Components timer's <c>cronExpression</c> — Linux cron with optional seconds and year fields
/// (<c>sec min hour day month weekday year</c>, weekdays 0–6 from Sunday) — to the EventBridge
/// <c>cron(min hour day month weekday year)</c> that Ferry's scheduler runs (weekdays 1–7 from Sunday, <c>?</c> in one
/// of the two day fields).
/// </summary>
internal static partial class TencentCron
{
    /// <param name="finerThanMinutes">Set when the seconds field asks for more than one run a minute, which Ferry can't do.</param>
    /// <returns>The converted expression, or null with <paramref name="problem"/> saying why the text can't be converted.</returns>
    public static string? ToScheduleExpression(string text, out bool finerThanMinutes, out string? problem)
    {
        finerThanMinutes = false;
        problem = null;
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string seconds;
        string minutes, hours, day, month, weekday, year;
        switch (fields.Length)
        {
            case 5:
                seconds = "0";
                (minutes, hours, day, month, weekday, year) = (fields[0], fields[1], fields[2], fields[3], fields[4], "*");
                break;
            case 6:
                seconds = fields[0];
                (minutes, hours, day, month, weekday, year) = (fields[1], fields[2], fields[3], fields[4], fields[5], "*");
                break;
            case 7:
                seconds = fields[0];
                (minutes, hours, day, month, weekday, year) = (fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
                break;
            default:
                problem = $"must have 5, 6 or 7 fields (seconds minutes hours day month weekday year), got {fields.Length}: '{text}'";
                return null;
        }

        if (!SingleNumber().IsMatch(seconds))
        {
            // "*/5" or "0,30": several runs a minute. Ferry's schedules fire at most once a minute.
            finerThanMinutes = true;
        }

        if (weekday is "*" && day is not "?")
        {
            weekday = "?";
        }
        else if (day is "*" && weekday is not "?")
        {
            day = "?";
        }

        return $"cron({minutes} {hours} {day} {month} {ShiftWeekdays(weekday)} {year})";
    }

    /// <summary>Linux numbers weekdays 0–6 (7 is Sunday too), EventBridge 1–7; names (MON) are the same in both.</summary>
    private static string ShiftWeekdays(string weekday)
    {
        if (weekday is "?" or "*")
        {
            return weekday;
        }

        var shifted = new StringBuilder(weekday.Length);
        var afterSlash = false;
        foreach (Match token in WeekdayToken().Matches(weekday))
        {
            var value = token.Value;
            if (value == "/")
            {
                afterSlash = true;
                shifted.Append(value);
                continue;
            }

            if (!afterSlash && int.TryParse(value, out var number) && number is >= 0 and <= 7)
            {
                shifted.Append(number % 7 + 1);
            }
            else
            {
                shifted.Append(value);
            }

            if (value is "," or "-")
            {
                afterSlash = false;
            }
        }

        return shifted.ToString();
    }

    [GeneratedRegex(@"^\d{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex SingleNumber();

    [GeneratedRegex(@"\d+|[A-Za-z#L]+|[,\-/*?]", RegexOptions.CultureInvariant)]
    private static partial Regex WeekdayToken();
}
