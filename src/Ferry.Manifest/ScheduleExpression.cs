using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace Ferry.Manifest;

/// <summary>
/// An EventBridge schedule expression as written in <c>serverless.yml</c>: <c>rate(5 minutes)</c> or AWS's
/// six-field <c>cron(minutes hours day-of-month month day-of-week year)</c>, always in UTC.
/// The YAML loader, the JSON validator and the scheduler all parse with this one type, so a schedule that deploys is
/// a schedule that runs.
/// </summary>
public abstract partial record ScheduleExpression
{
    private protected ScheduleExpression(string text) => Text = text;

    /// <summary>The expression as written, e.g. <c>rate(1 hour)</c>.</summary>
    public string Text { get; }

    public const string Rule = "'rate(N minute|minutes|hour|hours|day|days)' or 'cron(minutes hours day-of-month month day-of-week year)'";

    /// <summary>The first time the schedule fires strictly after <paramref name="time"/>; null when it never fires again.</summary>
    public abstract DateTimeOffset? NextAfter(DateTimeOffset time);

    public override string ToString() => Text;

    /// <exception cref="FormatException">The expression is not a valid rate or cron expression; the message says why.</exception>
    public static ScheduleExpression Parse(string text)
        => TryParse(text, out var expression, out var problem) ? expression : throw new FormatException(problem);

    /// <param name="problem">Why the text is not a schedule expression (quotes the text), when it is not one.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ScheduleExpression? expression, [NotNullWhen(false)] out string? problem)
    {
        expression = null;
        var trimmed = text?.Trim() ?? "";
        var match = Wrapped().Match(trimmed);
        if (!match.Success)
        {
            problem = $"must be {Rule}, got '{trimmed}'";
            return false;
        }

        var body = match.Groups["body"].Value.Trim();
        expression = match.Groups["kind"].Value == "rate"
            ? RateSchedule.TryCreate(trimmed, body, out problem)
            : CronSchedule.TryCreate(trimmed, body, out problem);
        return expression is not null;
    }

    [GeneratedRegex(@"^(?<kind>rate|cron)\((?<body>.*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex Wrapped();
}

/// <summary><c>rate(N unit)</c>: every <see cref="Interval"/>, counted from when the schedule was deployed.</summary>
public sealed partial record RateSchedule : ScheduleExpression
{
    private RateSchedule(string text, TimeSpan interval) : base(text) => Interval = interval;

    public TimeSpan Interval { get; }

    public override DateTimeOffset? NextAfter(DateTimeOffset time) => time + Interval;

    internal static RateSchedule? TryCreate(string text, string body, out string? problem)
    {
        problem = null;
        var match = RateBody().Match(body);
        if (!match.Success || !int.TryParse(match.Groups["value"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            problem = $"'{text}' must be rate(N unit) with N a whole number of at least 1 and unit minute(s), hour(s) or day(s)";
            return null;
        }

        // AWS: "If the value is equal to 1, then the unit must be singular. If the value is greater than 1, the unit must be plural."
        var unit = match.Groups["unit"].Value;
        var plural = unit.EndsWith('s');
        if (plural != (value > 1))
        {
            var expected = plural ? unit[..^1] : unit + "s";
            problem = $"'{text}' must say '{value} {expected}': the unit is singular for 1 and plural otherwise";
            return null;
        }

        var interval = unit.TrimEnd('s') switch
        {
            "minute" => TimeSpan.FromMinutes(value),
            "hour" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromDays(value),
        };
        return new RateSchedule(text, interval);
    }

    [GeneratedRegex(@"^(?<value>[0-9]{1,9})\s+(?<unit>minutes?|hours?|days?)$", RegexOptions.CultureInvariant)]
    private static partial Regex RateBody();
}

/// <summary>
/// AWS's <c>cron(minutes hours day-of-month month day-of-week year)</c>, run through Cronos: <c>?</c> becomes
/// <c>*</c> and day-of-week numbers 1-7 (SUN-SAT) become 0-6. The year must be <c>*</c>.
/// </summary>
public sealed record CronSchedule : ScheduleExpression
{
    private readonly CronExpression _cron;

    private CronSchedule(string text, string cronosExpression, CronExpression cron) : base(text)
    {
        CronosExpression = cronosExpression;
        _cron = cron;
    }

    /// <summary>The equivalent five-field expression Cronos evaluates, e.g. <c>0 12 * * 1-5</c>.</summary>
    public string CronosExpression { get; }

    public override DateTimeOffset? NextAfter(DateTimeOffset time) => _cron.GetNextOccurrence(time.ToUniversalTime(), TimeZoneInfo.Utc);

    internal static CronSchedule? TryCreate(string text, string body, out string? problem)
    {
        var conversionProblem = TryConvert(body, out var cronos);
        if (conversionProblem is null)
        {
            try
            {
                problem = null;
                return new CronSchedule(text, cronos!, CronExpression.Parse(cronos!, CronFormat.Standard));
            }
            catch (CronFormatException ex)
            {
                conversionProblem = ex.Message.TrimEnd('.');
            }
        }

        problem = $"'{text}' is not a valid cron expression: {conversionProblem}";
        return null;
    }

    /// <summary>The Cronos form of AWS's six fields; null (with <paramref name="cronos"/> set) or the problem.</summary>
    private static string? TryConvert(string body, out string? cronos)
    {
        cronos = null;
        var fields = body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            return $"it has {fields.Length} fields; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year";
        }

        var (minutes, hours, dayOfMonth, month, dayOfWeek, year) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
        if (year != "*")
        {
            return $"the year field must be '*' (Ferry schedules repeat every year), got '{year}'";
        }

        if ((dayOfMonth == "?") == (dayOfWeek == "?"))
        {
            return "exactly one of day-of-month and day-of-week must be '?' (AWS does not allow both to be set or both to be '?')";
        }

        foreach (var (field, name) in new[] { (minutes, "minutes"), (hours, "hours"), (month, "month") })
        {
            if (field.Contains('?', StringComparison.Ordinal))
            {
                return $"'?' is only allowed in day-of-month or day-of-week, not in {name}";
            }
        }

        string? dayProblem = null;
        var convertedDayOfWeek = dayOfWeek == "?" ? "*" : ConvertDayOfWeek(dayOfWeek, out dayProblem);
        if (convertedDayOfWeek is null)
        {
            return dayProblem;
        }

        cronos = string.Join(' ', minutes, hours, dayOfMonth == "?" ? "*" : dayOfMonth, month, convertedDayOfWeek);
        return null;
    }

    /// <summary>Shifts AWS day numbers (1 = SUN … 7 = SAT) to Cronos's (0 = SUN … 6 = SAT); names stay as they are.</summary>
    private static string? ConvertDayOfWeek(string field, out string? problem)
    {
        problem = null;
        var items = new List<string>();
        foreach (var item in field.Split(','))
        {
            // An item is a day, a range of days, a step, 'N#k' (k-th weekday N of the month) or 'NL' (last weekday N).
            var (days, suffix) = SplitSuffix(item);
            if (days == "L")
            {
                items.Add("SAT" + suffix); // Quartz/AWS: 'L' alone is the last day of the week
                continue;
            }

            var converted = new List<string>();
            foreach (var day in days.Split('-'))
            {
                if (day is "*" || (day.Length == 3 && day.All(char.IsAsciiLetter)))
                {
                    converted.Add(day);
                }
                else if (int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 7)
                {
                    converted.Add((number - 1).ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    problem = $"day-of-week '{item}' must use days 1-7 (1 = SUN) or SUN-SAT";
                    return null;
                }
            }

            items.Add(string.Join('-', converted) + suffix);
        }

        return string.Join(',', items);
    }

    private static (string Days, string Suffix) SplitSuffix(string item)
    {
        var at = item.IndexOfAny(['/', '#']);
        if (at >= 0)
        {
            return (item[..at], item[at..]);
        }

        return item.Length > 1 && item.EndsWith('L') ? (item[..^1], "L") : (item, "");
    }
}
