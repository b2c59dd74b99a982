using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ferry.Triggers.Lambda;

/// <summary>
/// The parts of an <c>Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…</c> header, or of the
/// same fields carried in a presigned URL's query (<c>X-Amz-Credential</c>, …). Parsing checks the shape only; it does
/// not verify the signature.
/// </summary>
public sealed record SigV4Authorization(
    string AccessKeyId,
    DateOnly Date,
    string Region,
    string Service,
    IReadOnlyList<string> SignedHeaders,
    string Signature)
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The longest validity AWS allows a presigned URL (7 days).</summary>
    public static readonly TimeSpan MaxPresignedExpiry = TimeSpan.FromDays(7);

    /// <summary>
    /// Set when the signature came from a presigned URL's query string: how long after its <c>X-Amz-Date</c> the URL
    /// stays valid. Null for the header form.
    /// </summary>
    public TimeSpan? PresignedExpiry { get; init; }

    public bool IsPresigned => PresignedExpiry is not null;

    public static bool TryParse(string header, [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
        => TryParse(header, "lambda", out authorization, out problem);

    /// <param name="service">The service the credential scope must name ("lambda", "s3").</param>
    public static bool TryParse(string header, string service, [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
        => TryParse(header, [service], out authorization, out problem);

    /// <param name="services">The services the credential scope may name (an endpoint serving S3 and DynamoDB: "s3", "dynamodb").</param>
    public static bool TryParse(string header, IReadOnlyList<string> services, [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
    {
        authorization = null;
        if (!header.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            problem = $"The Authorization header must use the {Algorithm} signature algorithm";
            return false;
        }

        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in header[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !parts.TryAdd(part[..equals], part[(equals + 1)..]))
            {
                problem = $"Authorization header component '{part}' is malformed or repeated; expected Credential=…, SignedHeaders=…, Signature=…";
                return false;
            }
        }

        foreach (var required in new[] { "Credential", "SignedHeaders", "Signature" })
        {
            if (!parts.ContainsKey(required))
            {
                problem = $"Authorization header requires the '{required}' parameter";
                return false;
            }
        }

        return TryBuild(parts["Credential"], parts["SignedHeaders"], parts["Signature"], services, out authorization, out problem);
    }

    /// <summary>
    /// Reads a presigned URL's <c>X-Amz-Algorithm</c>, <c>X-Amz-Credential</c>, <c>X-Amz-Date</c>, <c>X-Amz-Expires</c>,
    /// <c>X-Amz-SignedHeaders</c> and <c>X-Amz-Signature</c> query parameters (decoded).
    /// </summary>
    public static bool TryParseQuery(IReadOnlyList<KeyValuePair<string, string>> query, string service,
        [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
        => TryParseQuery(query, [service], out authorization, out problem);

    public static bool TryParseQuery(IReadOnlyList<KeyValuePair<string, string>> query, IReadOnlyList<string> services,
        [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
    {
        authorization = null;
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in query)
        {
            if (name.StartsWith("X-Amz-", StringComparison.Ordinal) && !parts.TryAdd(name, value))
            {
                problem = $"Query parameter '{name}' is repeated";
                return false;
            }
        }

        foreach (var required in new[] { "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature" })
        {
            if (!parts.ContainsKey(required))
            {
                problem = $"A presigned URL requires the '{required}' query parameter";
                return false;
            }
        }

        if (parts["X-Amz-Algorithm"] != Algorithm)
        {
            problem = $"X-Amz-Algorithm must be {Algorithm}, not '{parts["X-Amz-Algorithm"]}'";
            return false;
        }

        if (!int.TryParse(parts["X-Amz-Expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds < 1 || seconds > MaxPresignedExpiry.TotalSeconds)
        {
            problem = $"X-Amz-Expires must be a number of seconds from 1 to {MaxPresignedExpiry.TotalSeconds:0}, not '{parts["X-Amz-Expires"]}'";
            return false;
        }

        if (!TryBuild(parts["X-Amz-Credential"], parts["X-Amz-SignedHeaders"], parts["X-Amz-Signature"], services, out var parsed, out problem))
        {
            return false;
        }

        authorization = parsed with { PresignedExpiry = TimeSpan.FromSeconds(seconds) };
        return true;
    }

    private static bool TryBuild(string credential, string signedHeaderList, string signature, IReadOnlyList<string> services,
        [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
    {
        authorization = null;

        // Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[0].Length == 0 || scope[2].Length == 0 || scope[4] != "aws4_request"
            || !DateOnly.TryParseExact(scope[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            problem = $"Credential '{credential}' is malformed; expected ACCESS_KEY/YYYYMMDD/REGION/{services[0]}/aws4_request";
            return false;
        }

        if (!services.Contains(scope[3]))
        {
            problem = $"Credential should be scoped to the service '{string.Join("' or '", services)}', not '{scope[3]}'";
            return false;
        }

        var signedHeaders = signedHeaderList.Split(';');
        if (signedHeaders.Any(h => h.Length == 0 || h != h.ToLowerInvariant()) || !signedHeaders.Contains("host"))
        {
            problem = $"SignedHeaders '{signedHeaderList}' is malformed; expected lower-case header names separated by ';', including 'host'";
            return false;
        }

        if (signature.Length != 64 || !signature.All(char.IsAsciiHexDigitLower))
        {
            problem = "Signature must be 64 lower-case hexadecimal digits";
            return false;
        }

        authorization = new SigV4Authorization(scope[0], date, scope[2], scope[3], signedHeaders, signature);
        problem = null;
        return true;
    }
}
