using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Triggers.Lambda;

/// <summary>The parts of an HTTP request a SigV4 signature covers, as received.</summary>
/// <param name="RawPath">The path exactly as sent (still percent-encoded), without the query.</param>
/// <param name="Query">Decoded query parameters.</param>
/// <param name="Headers">Header values by lower-case name.</param>
public sealed record SignedRequest(
    string Method,
    string RawPath,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body);

/// <summary>
/// Verifies AWS Signature Version 4 (header form) the way AWS services do: rebuilds the canonical request, derives the
/// signing key from the secret and the credential scope, and compares signatures in constant time. Services other
/// than S3 sign each path segment encoded twice, which is what the SDKs send for Lambda.
/// </summary>
public static class SigV4Verifier
{
    /// <summary>How far the request's X-Amz-Date may be from the server's clock.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(15);

    /// <returns>Null when the signature is valid; else why not.</returns>
    public static string? Verify(SigV4Authorization authorization, SignedRequest request, string secretAccessKey, DateTimeOffset now)
    {
        if (!request.Headers.TryGetValue("x-amz-date", out var amzDate)
            || !DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
        {
            return "the request needs an X-Amz-Date header like 20260101T120000Z";
        }

        if ((now - signedAt).Duration() > AllowedClockSkew)
        {
            return $"the signature date {amzDate} is more than {AllowedClockSkew.TotalMinutes:0} minutes from the server's time";
        }

        if (DateOnly.FromDateTime(signedAt.UtcDateTime) != authorization.Date)
        {
            return "the credential scope's date does not match X-Amz-Date";
        }

        var canonical = CanonicalRequest(authorization, request);
        if (canonical is null)
        {
            return "a signed header is missing from the request";
        }

        var scope = $"{authorization.Date:yyyyMMdd}/{authorization.Region}/{authorization.Service}/aws4_request";
        var stringToSign = $"{SigV4Authorization.Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), authorization.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        key = Hmac(key, authorization.Region);
        key = Hmac(key, authorization.Service);
        key = Hmac(key, "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(authorization.Signature))
            ? null
            : "the signature does not match: check the secret access key";
    }

    internal static string? CanonicalRequest(SigV4Authorization authorization, SignedRequest request)
    {
        var path = string.Join('/', request.RawPath.Split('/').Select(UriEncode));
        var query = string.Join('&', request.Query
            .Select(p => (Key: UriEncode(p.Key), Value: UriEncode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
        var headers = new StringBuilder();
        foreach (var name in authorization.SignedHeaders)
        {
            if (!request.Headers.TryGetValue(name, out var value))
            {
                return null;
            }

            headers.Append(name).Append(':').Append(string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        var payloadHash = request.Headers.TryGetValue("x-amz-content-sha256", out var declared) && declared != "UNSIGNED-PAYLOAD"
            ? declared
            : Hex(SHA256.HashData(request.Body.Span));
        return $"{request.Method}\n{(path.Length == 0 ? "/" : path)}\n{query}\n{headers}\n{string.Join(';', authorization.SignedHeaders)}\n{payloadHash}";
    }

    /// <summary>RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex).</summary>
    internal static string UriEncode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
