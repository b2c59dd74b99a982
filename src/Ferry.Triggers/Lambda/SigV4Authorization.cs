using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ferry.Triggers.Lambda;

/// <summary>
/// The parts of an <c>Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…</c> header.
/// Parsing checks the header's shape only; it does not verify the signature.
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

    public static bool TryParse(string header, [NotNullWhen(true)] out SigV4Authorization? authorization, [NotNullWhen(false)] out string? problem)
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

        // Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request
        var scope = parts["Credential"].Split('/');
        if (scope.Length != 5 || scope[0].Length == 0 || scope[2].Length == 0 || scope[4] != "aws4_request"
            || !DateOnly.TryParseExact(scope[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            problem = $"Credential '{parts["Credential"]}' is malformed; expected ACCESS_KEY/YYYYMMDD/REGION/lambda/aws4_request";
            return false;
        }

        if (scope[3] != "lambda")
        {
            problem = $"Credential should be scoped to the service 'lambda', not '{scope[3]}'";
            return false;
        }

        var signedHeaders = parts["SignedHeaders"].Split(';');
        if (signedHeaders.Any(h => h.Length == 0 || h != h.ToLowerInvariant()) || !signedHeaders.Contains("host"))
        {
            problem = $"SignedHeaders '{parts["SignedHeaders"]}' is malformed; expected lower-case header names separated by ';', including 'host'";
            return false;
        }

        var signature = parts["Signature"];
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
