using System.Text.RegularExpressions;

namespace Ferry.Resources.Databases;

/// <summary>
/// One database an app stage declares. <paramref name="Name"/> is the logical name from serverless.yml; the other
/// fields say whose it is. Every field ends up in a file path or a PostgreSQL identifier, so <see cref="Validate"/>
/// admits only characters that are safe in both.
/// </summary>
public sealed partial record DatabaseRequest(string Tenant, string Service, string Stage, string Region, string Name)
{
    public const int MaxNameLength = 40;
    public const int MaxSegmentLength = 64;

    public const string NameRule = "a lowercase letter followed by up to 39 lowercase letters, digits, '_' or '-'";
    public const string SegmentRule = "a letter or digit followed by up to 63 letters, digits, '_' or '-'";

    /// <summary>"tenant/service/stage@region database name", for messages and logs.</summary>
    public string DisplayName => $"{Tenant}/{Service}/{Stage}@{Region} database '{Name}'";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is not acceptable.</summary>
    public void Validate()
    {
        CheckSegment(Tenant, nameof(Tenant));
        CheckSegment(Service, nameof(Service));
        CheckSegment(Stage, nameof(Stage));
        CheckSegment(Region, nameof(Region));
        if (Name is null || !NamePattern().IsMatch(Name))
        {
            throw new ArgumentException($"Database name {Show(Name)} is invalid; a database name is {NameRule}.", nameof(Name));
        }
    }

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    private static void CheckSegment(string? value, string field)
    {
        // Dots are left out on purpose: no "." or ".." path segment can come out of a request.
        if (value is null || !SegmentPattern().IsMatch(value))
        {
            throw new ArgumentException($"Database {field.ToLowerInvariant()} {Show(value)} is invalid; it must be {SegmentRule}.", field);
        }
    }

    private static string Show(string? value) =>
        value is null ? "(missing)" : $"'{(value.Length > 80 ? value[..80] + "…" : value)}'";

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();
}
