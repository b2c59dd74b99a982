using System.Globalization;
using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Whether a version satisfies a composer version constraint (<c>^8.0</c>, <c>~8.83.0</c>, <c>8.*</c>,
/// <c>&gt;=8.0 &lt;9.0</c>, alternatives with <c>||</c>), enough to tell a user that the app asks for another Laravel
/// than the one installed. Stability flags (<c>@dev</c>) are ignored; branches and hyphen ranges are not understood.
/// </summary>
public static partial class ComposerConstraint
{
    /// <returns>Whether <paramref name="version"/> (<c>8.83.26</c>) is allowed; null when the constraint can't be read.</returns>
    public static bool? Allows(string constraint, string version)
    {
        ArgumentNullException.ThrowIfNull(constraint);
        if (ParseVersion(version) is not { } installed)
        {
            throw new ArgumentException($"'{version}' is not a version", nameof(version));
        }

        if (constraint.Contains(" - ", StringComparison.Ordinal) || constraint.Contains("dev-", StringComparison.Ordinal))
        {
            return null;
        }

        var anyAlternative = false;
        foreach (var alternative in constraint.Replace("||", "|", StringComparison.Ordinal).Split('|'))
        {
            var terms = alternative.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
            if (terms.Length == 0)
            {
                return null;
            }

            var all = true;
            foreach (var term in terms)
            {
                if (Check(StabilityFlag().Replace(term, ""), installed) is not { } ok)
                {
                    return null;
                }

                all &= ok;
            }

            anyAlternative |= all;
        }

        return anyAlternative;
    }

    private static bool? Check(string term, Version installed)
    {
        if (term is "*" or "")
        {
            return true;
        }

        var match = Term().Match(term);
        if (!match.Success)
        {
            return null;
        }

        var op = match.Groups["op"].Value;
        var parts = match.Groups["version"].Value.Split('.');
        var wildcard = parts[^1] == "*";
        var numbers = (wildcard ? parts[..^1] : parts).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var lower = new Version(numbers[0], numbers.ElementAtOrDefault(1), numbers.ElementAtOrDefault(2));
        if (wildcard)
        {
            return op.Length == 0 ? installed >= lower && installed < Bump(numbers, numbers.Length - 1) : null;
        }

        return op switch
        {
            "^" => installed >= lower && installed < Bump(numbers, numbers[0] > 0 || numbers.Length == 1 ? 0 : numbers[1] > 0 || numbers.Length == 2 ? 1 : 2),
            "~" => installed >= lower && installed < Bump(numbers, Math.Max(0, numbers.Length - 2)),
            ">=" => installed >= lower,
            ">" => installed > lower,
            "<=" => installed <= lower,
            "<" => installed < lower,
            "!=" => installed != lower,
            "=" or "==" or "" => installed == lower,
            _ => null,
        };
    }

    /// <summary>The version after <paramref name="numbers"/> with the part at <paramref name="index"/> raised by one.</summary>
    private static Version Bump(int[] numbers, int index) => index switch
    {
        0 => new Version(numbers[0] + 1, 0, 0),
        1 => new Version(numbers[0], numbers[1] + 1, 0),
        _ => new Version(numbers[0], numbers[1], numbers[2] + 1),
    };

    private static Version? ParseVersion(string text)
    {
        var match = PlainVersion().Match(text);
        return match.Success
            ? new Version(
                int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
                match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0)
            : null;
    }

    [GeneratedRegex(@"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")]
    private static partial Regex PlainVersion();

    [GeneratedRegex(@"^(?<op>\^|~|>=|<=|>|<|!=|==|=)?v?(?<version>\d+(?:\.\d+){0,2}(?:\.\*)?|\d+(?:\.\d+)*\.\*)$")]
    private static partial Regex Term();

    [GeneratedRegex(@"@[A-Za-z]+$")]
    private static partial Regex StabilityFlag();
}
