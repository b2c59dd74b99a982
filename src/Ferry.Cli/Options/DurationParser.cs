using System.Globalization;
using System.Text.RegularExpressions;

namespace Ferry.Cli.Options;

/// <summary>
/// Parses <c>--since</c>: a duration back from now (<c>30s</c>, <c>10m</c>, <c>1h</c>, <c>2d</c>, <c>1h30m</c>) or an
/// ISO 8601 date/time (<c>2024-05-01T10:00:00Z</c>; without an offset it is local time).
/// </summary>
internal static partial class DurationParser
{
    public const string Syntax = "a duration like 30s, 10m, 1h, 2d or 1h30m, or an ISO 8601 time like 2024-05-01T10:00:00Z";

    /// <summary>Parses a duration made of one or more <c>NUMBER UNIT</c> parts; units are s, m, h, d and w.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (!DurationPattern().IsMatch(trimmed))
        {
            return false;
        }

        try
        {
            foreach (Match part in DurationPart().Matches(trimmed))
            {
                var amount = long.Parse(part.Groups["amount"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
                duration += part.Groups["unit"].Value switch
                {
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    "d" => TimeSpan.FromDays(amount),
                    _ => TimeSpan.FromDays(7 * amount),
                };
            }
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }

        return true;
    }

    /// <summary>Resolves <paramref name="text"/> to the moment it names, relative to <paramref name="now"/>.</summary>
    public static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        if (TryParseDuration(text, out var duration))
        {
            if (duration > now - DateTimeOffset.MinValue)
            {
                since = DateTimeOffset.MinValue;
                return false;
            }

            since = now - duration;
            return true;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out since)
            && text.Contains('-', StringComparison.Ordinal);
    }

    /// <summary>Like <see cref="TryParseSince"/> but throws a <see cref="FormatException"/> that shows the accepted syntax.</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
        => TryParseSince(text, now, out var since)
            ? since
            : throw new FormatException($"'{text}' is not a valid --since value; expected {Syntax}.");

    [GeneratedRegex(@"^(\d+[smhdw])+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"(?<amount>\d+)(?<unit>[smhdw])", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();
}
