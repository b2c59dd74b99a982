using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Hub;

/// <summary>
/// A Semantic Versioning 2.0.0 version: <c>MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]</c>. Ordering follows semver
/// precedence: numbers compare numerically, a pre-release sorts before its release, pre-release identifiers compare
/// one by one (numeric ones numerically and below alphanumeric ones, alphanumeric ones in ASCII order, a shorter list
/// first when all shared identifiers are equal). Build metadata is kept in <see cref="ToString"/> but takes no part in
/// precedence, so equality is precedence equality: <c>1.0.0+a</c> equals <c>1.0.0+b</c> — for a template hub they are
/// the same version.
/// </summary>
[JsonConverter(typeof(SemanticVersionJsonConverter))]
public sealed class SemanticVersion : IComparable<SemanticVersion>, IEquatable<SemanticVersion>
{
    /// <summary>Shown in errors about a malformed version.</summary>
    public const string Rule = "a semantic version MAJOR.MINOR.PATCH such as 1.4.0 or 2.0.0-beta.1 (semver 2.0)";

    private SemanticVersion(ulong major, ulong minor, ulong patch, IReadOnlyList<string> prerelease, string build)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = prerelease;
        Build = build;
    }

    public ulong Major { get; }

    public ulong Minor { get; }

    public ulong Patch { get; }

    /// <summary>The dot-separated pre-release identifiers; empty for a release.</summary>
    public IReadOnlyList<string> Prerelease { get; }

    /// <summary>Build metadata after '+', without it; empty when there is none.</summary>
    public string Build { get; }

    public bool IsPrerelease => Prerelease.Count > 0;

    /// <exception cref="FormatException">The text is not a semantic version; the message says which part is wrong.</exception>
    public static SemanticVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var version, out var problem)
            ? version
            : throw new FormatException($"'{text}' is not {Rule}: {problem}");
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out SemanticVersion? version) =>
        TryParse(text, out version, out _);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says what is wrong with it.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SemanticVersion? version, [NotNullWhen(false)] out string? problem)
    {
        version = null;
        if (string.IsNullOrEmpty(text))
        {
            problem = "it is empty";
            return false;
        }

        var rest = text;
        var build = "";
        if (rest.IndexOf('+') is var plus and >= 0)
        {
            build = rest[(plus + 1)..];
            rest = rest[..plus];
            if (!AreValidIdentifiers(build, numeric: false, out problem, "build metadata"))
            {
                return false;
            }
        }

        IReadOnlyList<string> prerelease = [];
        if (rest.IndexOf('-') is var dash and >= 0)
        {
            var prereleaseText = rest[(dash + 1)..];
            rest = rest[..dash];
            if (!AreValidIdentifiers(prereleaseText, numeric: true, out problem, "the pre-release"))
            {
                return false;
            }

            prerelease = prereleaseText.Split('.');
        }

        var core = rest.Split('.');
        if (core.Length != 3)
        {
            problem = $"the version core '{rest}' must have exactly three numbers separated by dots";
            return false;
        }

        var numbers = new ulong[3];
        string[] names = ["major", "minor", "patch"];
        for (var i = 0; i < 3; i++)
        {
            if (!TryParseNumber(core[i], out numbers[i], out var numberProblem))
            {
                problem = $"the {names[i]} version '{core[i]}' {numberProblem}";
                return false;
            }
        }

        version = new SemanticVersion(numbers[0], numbers[1], numbers[2], prerelease, build);
        problem = null;
        return true;
    }

    public int CompareTo(SemanticVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var core = Major.CompareTo(other.Major);
        if (core == 0)
        {
            core = Minor.CompareTo(other.Minor);
        }

        if (core == 0)
        {
            core = Patch.CompareTo(other.Patch);
        }

        return core != 0 ? core : ComparePrerelease(Prerelease, other.Prerelease);
    }

    public bool Equals(SemanticVersion? other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SemanticVersion other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Major);
        hash.Add(Minor);
        hash.Add(Patch);
        foreach (var identifier in Prerelease)
        {
            hash.Add(identifier, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    public override string ToString()
    {
        var text = $"{Major}.{Minor}.{Patch}";
        if (IsPrerelease)
        {
            text += "-" + string.Join('.', Prerelease);
        }

        return Build.Length > 0 ? text + "+" + Build : text;
    }

    public static bool operator ==(SemanticVersion? left, SemanticVersion? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(SemanticVersion? left, SemanticVersion? right) => !(left == right);

    public static bool operator <(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) < 0;

    public static bool operator >(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) > 0;

    public static bool operator <=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) <= 0;

    public static bool operator >=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) >= 0;

    private static int Compare(SemanticVersion? left, SemanticVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    private static int ComparePrerelease(IReadOnlyList<string> left, IReadOnlyList<string> right)
    {
        // A release has higher precedence than any of its pre-releases.
        if (left.Count == 0 || right.Count == 0)
        {
            return right.Count.CompareTo(left.Count) switch { < 0 => -1, > 0 => 1, _ => 0 };
        }

        for (var i = 0; i < Math.Min(left.Count, right.Count); i++)
        {
            var order = CompareIdentifier(left[i], right[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return left.Count.CompareTo(right.Count);
    }

    private static int CompareIdentifier(string left, string right)
    {
        var leftNumeric = IsNumeric(left);
        var rightNumeric = IsNumeric(right);
        return (leftNumeric, rightNumeric) switch
        {
            // Numeric identifiers have no leading zeros, so a longer one is larger; this needs no size limit.
            (true, true) => left.Length != right.Length ? left.Length.CompareTo(right.Length) : string.CompareOrdinal(left, right),
            (true, false) => -1,
            (false, true) => 1,
            _ => Math.Sign(string.CompareOrdinal(left, right)),
        };
    }

    private static bool IsNumeric(string identifier) => identifier.All(char.IsAsciiDigit);

    private static bool TryParseNumber(string text, out ulong value, [NotNullWhen(false)] out string? problem)
    {
        value = 0;
        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            problem = "must be a non-negative whole number";
            return false;
        }

        if (text.Length > 1 && text[0] == '0')
        {
            problem = "must not have leading zeros";
            return false;
        }

        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            problem = "is too large";
            return false;
        }

        problem = null;
        return true;
    }

    private static bool AreValidIdentifiers(string text, bool numeric, [NotNullWhen(false)] out string? problem, string what)
    {
        foreach (var identifier in text.Split('.'))
        {
            if (identifier.Length == 0)
            {
                problem = $"{what} '{text}' has an empty identifier";
                return false;
            }

            if (!identifier.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                problem = $"{what} identifier '{identifier}' may only contain ASCII letters, digits and '-'";
                return false;
            }

            if (numeric && identifier.Length > 1 && identifier[0] == '0' && IsNumeric(identifier))
            {
                problem = $"{what} identifier '{identifier}' is numeric and must not have leading zeros";
                return false;
            }
        }

        problem = null;
        return true;
    }
}

/// <summary>Writes a version as its string form and reads it back, refusing malformed versions.</summary>
internal sealed class SemanticVersionJsonConverter : JsonConverter<SemanticVersion>
{
    public override SemanticVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return SemanticVersion.TryParse(text, out var version, out var problem)
            ? version
            : throw new JsonException($"'{text}' is not {SemanticVersion.Rule}: {problem}");
    }

    public override void Write(Utf8JsonWriter writer, SemanticVersion value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
