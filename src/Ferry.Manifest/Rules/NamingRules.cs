using System.Text.RegularExpressions;

namespace Ferry.Manifest.Rules;

/// <summary>What names, sizes and limits a manifest may use; shared by the YAML loader and the JSON validator.</summary>
internal static partial class NamingRules
{
    public const int MinMemorySizeMb = 128;
    public const int MaxMemorySizeMb = 10240;
    public const int MinTimeoutSeconds = 1;
    public const int MaxTimeoutSeconds = 900;

    /// <summary>Service names that would collide with Ferry's own host names or URL prefixes.</summary>
    public static readonly IReadOnlySet<string> ReservedServiceNames =
        new HashSet<string>(StringComparer.Ordinal) { "api", "healthz", "metrics", "console", "static" };

    public const string ServiceNameRule = "1-40 lowercase letters, digits or '-', starting with a letter";
    public const string FunctionNameRule = "1-64 letters, digits, '_' or '-', starting with a letter";
    public const string StageRule = "1-30 lowercase letters, digits or '-', starting with a letter or digit";
    public const string EnvironmentNameRule = "letters, digits and '_', not starting with a digit";
    public const string BucketNameRule = "3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, without '..', '.-' or '-.' and not shaped like an IP address (S3's rule)";
    public const string DatabaseNameRule = "1-40 lowercase letters, digits, '_' or '-', starting with a letter";
    public const string TableNameRule = "3-255 letters, digits, '_', '-' or '.' (DynamoDB's rule)";

    [GeneratedRegex("^[a-zA-Z0-9_.-]{3,255}$")]
    private static partial Regex TableNamePattern();

    public static bool IsValidTableName(string name) => TableNamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketNamePattern();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+$")]
    private static partial Regex IpAddressPattern();

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,39}$")]
    private static partial Regex DatabaseNamePattern();

    public static bool IsValidBucketName(string name) =>
        BucketNamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal)
        && !name.Contains(".-", StringComparison.Ordinal) && !name.Contains("-.", StringComparison.Ordinal) && !IpAddressPattern().IsMatch(name);

    public static bool IsValidDatabaseName(string name) => DatabaseNamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex ServiceNamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex FunctionNamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,29}$")]
    private static partial Regex StagePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentNamePattern();

    public static bool IsValidServiceName(string name) => ServiceNamePattern().IsMatch(name);

    public static bool IsValidFunctionName(string name) => FunctionNamePattern().IsMatch(name);

    /// <summary>Stages and regions follow the same rule.</summary>
    public static bool IsValidStage(string stage) => StagePattern().IsMatch(stage);

    public static bool IsValidEnvironmentName(string name) => EnvironmentNamePattern().IsMatch(name);

    public static bool IsValidProviderName(string name) => name is "aws" or "ferry";

    public static string MemorySizeRule => $"a whole number of megabytes between {MinMemorySizeMb} and {MaxMemorySizeMb}";

    public static string TimeoutRule => $"a whole number of seconds between {MinTimeoutSeconds} and {MaxTimeoutSeconds}";

    public static bool IsValidMemorySize(int megabytes) => megabytes is >= MinMemorySizeMb and <= MaxMemorySizeMb;

    public static bool IsValidTimeout(int seconds) => seconds is >= MinTimeoutSeconds and <= MaxTimeoutSeconds;

    /// <summary>Quotes a user value for an error message, keeping it short and on one line.</summary>
    public static string Quote(string value)
    {
        const int MaxShown = 80;
        var shown = value.Length > MaxShown ? value[..MaxShown] + "…" : value;
        return "\"" + shown.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";
    }
}
