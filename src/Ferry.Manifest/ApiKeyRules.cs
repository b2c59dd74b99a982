using System.Text.RegularExpressions;

namespace Ferry.Manifest;

/// <summary>What API key names and values may be; shared by serverless.yml, the CLI and the server.</summary>
public static partial class ApiKeyRules
{
    public const string NameRule = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit";

    /// <summary>The shortest API key value API Gateway accepts.</summary>
    public const int MinimumValueLength = 20;

    /// <summary>The longest API key value API Gateway accepts.</summary>
    public const int MaximumValueLength = 128;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Null when the value can be used as an API key; otherwise what is wrong with it.</summary>
    public static string? FindValueProblem(string value) =>
        value.Length < MinimumValueLength ? $"has {value.Length} characters; API key values have at least {MinimumValueLength}"
        : value.Length > MaximumValueLength ? $"has {value.Length} characters; API key values have at most {MaximumValueLength}"
        : value.Any(c => c is <= ' ' or > '~') ? "contains spaces or characters outside printable ASCII"
        : null;
}
