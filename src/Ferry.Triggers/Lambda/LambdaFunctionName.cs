using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Ferry.Triggers.Lambda;

/// <summary>
/// The <c>FunctionName</c> of a Lambda API call: a name (<c>service-stage-function</c>), a full ARN
/// <c>arn:aws:lambda:REGION:ACCOUNT:function:NAME</c> or a partial ARN <c>ACCOUNT:function:NAME</c>, each optionally
/// followed by <c>:QUALIFIER</c> (<c>$LATEST</c> or a version number), or with the qualifier given separately.
/// </summary>
/// <param name="Region">The region an ARN names; null for plain names (the caller's region applies).</param>
public sealed partial record LambdaFunctionName(string Name, string? Qualifier, string? Region)
{
    public const string Latest = "$LATEST";

    private const string NamePattern = "[a-zA-Z0-9_-]{1,64}";
    private const string QualifierPattern = @"\$LATEST|[a-zA-Z0-9_-]{1,128}";

    /// <summary>The qualifier asks for a numbered version; <paramref name="version"/> is that number.</summary>
    public bool TryGetVersion(out int version)
    {
        version = 0;
        return Qualifier is not null && Qualifier != Latest && int.TryParse(Qualifier, System.Globalization.NumberStyles.None, null, out version);
    }

    /// <param name="text">The <c>{FunctionName}</c> path segment, already URL-decoded.</param>
    /// <param name="separateQualifier">The <c>Qualifier</c> query parameter, if any; it must agree with one in the name.</param>
    public static bool TryParse(string text, string? separateQualifier, [NotNullWhen(true)] out LambdaFunctionName? name, [NotNullWhen(false)] out string? problem)
    {
        name = null;
        var match = FullArn().Match(text);
        if (!match.Success)
        {
            match = PartialArn().Match(text);
        }

        if (!match.Success)
        {
            match = PlainName().Match(text);
        }

        if (!match.Success)
        {
            problem = $"Function name '{text}' is not valid: expected a name of 1-64 letters, digits, '-' or '_' (such as service-stage-function), " +
                      "or an ARN arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally followed by :$LATEST or :VERSION";
            return false;
        }

        var qualifier = match.Groups["qualifier"].Success ? match.Groups["qualifier"].Value : null;
        if (!string.IsNullOrEmpty(separateQualifier))
        {
            if (!QualifierOnly().IsMatch(separateQualifier))
            {
                problem = $"Qualifier '{separateQualifier}' is not valid: expected $LATEST or a version number";
                return false;
            }

            if (qualifier is not null && qualifier != separateQualifier)
            {
                problem = $"The qualifier in the function name ('{qualifier}') does not match the Qualifier parameter ('{separateQualifier}')";
                return false;
            }

            qualifier = separateQualifier;
        }

        var region = match.Groups["region"].Success ? match.Groups["region"].Value : null;
        name = new LambdaFunctionName(match.Groups["name"].Value, qualifier, region);
        problem = null;
        return true;
    }

    [GeneratedRegex($@"^arn:aws[a-zA-Z-]*:lambda:(?<region>[a-z0-9-]+):(?<account>[0-9]{{12}}):function:(?<name>{NamePattern})(:(?<qualifier>{QualifierPattern}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex FullArn();

    [GeneratedRegex($@"^(?<account>[0-9]{{12}}):function:(?<name>{NamePattern})(:(?<qualifier>{QualifierPattern}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex PartialArn();

    [GeneratedRegex($@"^(?<name>{NamePattern})(:(?<qualifier>{QualifierPattern}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    [GeneratedRegex($@"^({QualifierPattern})$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifierOnly();
}
