using System.Globalization;
using System.Text.RegularExpressions;

namespace Ferry.Hub;

/// <summary>
/// Checks one value against a parameter's type, allowed values, pattern and range. Used for defaults when a template
/// is read and for supplied values at install time, so both follow the same rules. Problems never quote the value of
/// a secret parameter.
/// </summary>
internal static class ParameterValueRules
{
    /// <summary>Longer values are refused: parameters end up in environment variables and command lines.</summary>
    public const int MaxValueLength = 4096;

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The value in normal form (booleans lower case), or null with <paramref name="problem"/> completing
    /// "param 'x': …" (for example "must be a number between 1 and 10, got 'abc'").
    /// </summary>
    public static string? Check(TemplateParameter parameter, string value, out string? problem)
    {
        var got = parameter.Secret ? "" : $", got {Quote(value)}";
        problem = null;
        if (value.Length > MaxValueLength)
        {
            problem = $"must be at most {MaxValueLength} characters, got {value.Length}";
            return null;
        }

        switch (parameter.Type)
        {
            case TemplateParameterType.Boolean:
                if (!bool.TryParse(value, out var flag))
                {
                    problem = $"must be true or false{got}";
                    return null;
                }

                return flag ? "true" : "false";

            case TemplateParameterType.Number:
                if (!TryParseNumber(value, out var number))
                {
                    problem = $"must be a number{DescribeRange(parameter)}{got}";
                    return null;
                }

                if (number < parameter.Minimum || number > parameter.Maximum)
                {
                    problem = $"must be a number{DescribeRange(parameter)}{got}";
                    return null;
                }

                if (parameter.AllowedValues.Count > 0 && !parameter.AllowedValues.Any(allowed => TryParseNumber(allowed, out var a) && a == number))
                {
                    problem = $"must be one of {string.Join(", ", parameter.AllowedValues)}{got}";
                    return null;
                }

                return value;

            default:
                if (parameter.AllowedValues.Count > 0 && !parameter.AllowedValues.Contains(value, StringComparer.Ordinal))
                {
                    problem = $"must be one of {string.Join(", ", parameter.AllowedValues.Select(Quote))}{got}";
                    return null;
                }

                if (parameter.Pattern is { } pattern && !MatchesWhole(pattern, value))
                {
                    problem = $"must match the pattern {pattern}{got}";
                    return null;
                }

                return value;
        }
    }

    public static bool TryParseNumber(string text, out decimal number) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out number);

    /// <summary>Null when <paramref name="pattern"/> is a usable regular expression, else what is wrong with it.</summary>
    public static string? PatternProblem(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
            return null;
        }
        catch (ArgumentException exception)
        {
            return exception.Message;
        }
    }

    public static string Quote(string value) => $"'{value}'";

    /// <summary>The whole value must match; a pattern that takes too long counts as not matching.</summary>
    private static bool MatchesWhole(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static string DescribeRange(TemplateParameter parameter) => (parameter.Minimum, parameter.Maximum) switch
    {
        ({ } min, { } max) => $" between {Format(min)} and {Format(max)}",
        ({ } min, null) => $" of at least {Format(min)}",
        (null, { } max) => $" of at most {Format(max)}",
        _ => "",
    };

    private static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
