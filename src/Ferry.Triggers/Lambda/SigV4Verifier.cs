using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Triggers.Lambda;

/// <summary>The parts of an HTTP request a SigV4 signature covers, as received.</summary>
/// <param name="RawPath">The path exactly as sent (still percent-encoded), without the query.</param>
/// <param name="Query">Decoded query parameters.</param>
/// <param name="Headers">Header values by lower-case name.</param>
/// <param name="Body">
/// The body, for services other than S3. S3 requests declare their payload's hash in <c>x-amz-content-sha256</c> (or
/// stream signed chunks); the caller checks the body against that declaration while reading it, so it is not needed here.
/// </param>
public sealed record SignedRequest(
    string Method,
    string RawPath,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body);

/// <summary>Why a signature was refused; the kind maps to the service's error code.</summary>
public enum SigV4FailureKind
{
    /// <summary>Something the signature needs is missing or malformed (date, signed header, payload hash).</summary>
    Malformed,

    /// <summary>The signing time is too far from the server's clock.</summary>
    RequestTimeTooSkewed,

    /// <summary>A presigned URL used after its expiry.</summary>
    Expired,

    SignatureDoesNotMatch,

    /// <summary>The body's SHA-256 differs from the signed <c>x-amz-content-sha256</c>.</summary>
    PayloadHashMismatch,
}

public sealed record SigV4Failure(SigV4FailureKind Kind, string Message)
{
    /// <summary>What the server signed, for SignatureDoesNotMatch: lets a client author compare with their own.</summary>
    public string? CanonicalRequest { get; init; }

    public string? StringToSign { get; init; }
}

/// <summary>
/// Verifies AWS Signature Version 4 the way AWS services do: rebuilds the canonical request, derives the signing key
/// from the secret and the credential scope, and compares signatures in constant time. Services other than S3 sign
/// each path segment encoded twice, which is what the SDKs send for Lambda; S3 signs the path encoded once and takes
/// the payload hash from <c>x-amz-content-sha256</c> (a hex SHA-256, <c>UNSIGNED-PAYLOAD</c>, or a <c>STREAMING-…</c>
/// mode whose chunks are verified with <see cref="ChunkSignature"/>). Presigned URLs carry the same fields in the query.
/// </summary>
public static class SigV4Verifier
{
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>How far the request's X-Amz-Date may be from the server's clock.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(15);

    private static readonly string EmptySha256 = Hex(SHA256.HashData([]));

    /// <returns>Null when the signature is valid; else why not.</returns>
    public static string? Verify(SigV4Authorization authorization, SignedRequest request, string secretAccessKey, DateTimeOffset now)
        => Check(authorization, request, secretAccessKey, now)?.Message;

    /// <returns>Null when the signature is valid; else what is wrong, classified.</returns>
    public static SigV4Failure? Check(SigV4Authorization authorization, SignedRequest request, string secretAccessKey, DateTimeOffset now)
    {
        var amzDate = AmzDate(authorization, request);
        if (amzDate is null || !TryParseAmzDate(amzDate, out var signedAt))
        {
            return new(SigV4FailureKind.Malformed, authorization.IsPresigned
                ? "the presigned URL needs an X-Amz-Date query parameter like 20260101T120000Z"
                : "the request needs an X-Amz-Date header like 20260101T120000Z");
        }

        if (authorization.PresignedExpiry is { } expiry)
        {
            if (signedAt - now > AllowedClockSkew)
            {
                return new(SigV4FailureKind.RequestTimeTooSkewed, $"the presigned URL's X-Amz-Date {amzDate} is more than {AllowedClockSkew.TotalMinutes:0} minutes in the future");
            }

            if (now > signedAt + expiry)
            {
                return new(SigV4FailureKind.Expired, $"the presigned URL expired at {signedAt + expiry:yyyy-MM-dd'T'HH:mm:ss'Z'}");
            }
        }
        else if ((now - signedAt).Duration() > AllowedClockSkew)
        {
            return new(SigV4FailureKind.RequestTimeTooSkewed, $"the signature date {amzDate} is more than {AllowedClockSkew.TotalMinutes:0} minutes from the server's time");
        }

        if (DateOnly.FromDateTime(signedAt.UtcDateTime) != authorization.Date)
        {
            return new(SigV4FailureKind.Malformed, "the credential scope's date does not match X-Amz-Date");
        }

        var payloadHash = PayloadHash(authorization, request, out var payloadProblem);
        if (payloadHash is null)
        {
            return payloadProblem;
        }

        var canonical = CanonicalRequest(authorization, request, payloadHash);
        if (canonical is null)
        {
            return new(SigV4FailureKind.Malformed, "a signed header is missing from the request");
        }

        var stringToSign = $"{SigV4Authorization.Algorithm}\n{amzDate}\n{Scope(authorization)}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var expected = Hex(HMACSHA256.HashData(SigningKey(secretAccessKey, authorization), Encoding.UTF8.GetBytes(stringToSign)));
        return FixedTimeEquals(expected, authorization.Signature)
            ? null
            : new(SigV4FailureKind.SignatureDoesNotMatch, "the signature does not match: check the secret access key")
            {
                CanonicalRequest = canonical,
                StringToSign = stringToSign,
            };
    }

    /// <summary>The X-Amz-Date the signature was made with: the header, or the query parameter of a presigned URL.</summary>
    public static string? AmzDate(SigV4Authorization authorization, SignedRequest request)
    {
        if (!authorization.IsPresigned)
        {
            return request.Headers.GetValueOrDefault("x-amz-date");
        }

        var date = request.Query.FirstOrDefault(p => p.Key == "X-Amz-Date");
        return date.Key is null ? null : date.Value;
    }

    public static bool TryParseAmzDate(string amzDate, out DateTimeOffset signedAt)
        => DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out signedAt);

    /// <summary>The credential scope, <c>YYYYMMDD/REGION/SERVICE/aws4_request</c>.</summary>
    public static string Scope(SigV4Authorization authorization)
        => $"{authorization.Date:yyyyMMdd}/{authorization.Region}/{authorization.Service}/aws4_request";

    public static byte[] SigningKey(string secretAccessKey, SigV4Authorization authorization)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), authorization.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        key = Hmac(key, authorization.Region);
        key = Hmac(key, authorization.Service);
        return Hmac(key, "aws4_request");
    }

    /// <summary>
    /// The signature of one chunk of a <c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c> body: each chunk chains to the
    /// previous chunk's signature, the first to the request's (seed) signature.
    /// </summary>
    public static string ChunkSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, ReadOnlySpan<byte> chunkSha256)
        => Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(
            $"AWS4-HMAC-SHA256-PAYLOAD\n{amzDate}\n{scope}\n{previousSignature}\n{EmptySha256}\n{Hex(chunkSha256)}")));

    /// <summary>
    /// The signature of the trailing headers of a <c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER</c> body.
    /// </summary>
    /// <param name="canonicalTrailer">Each trailing header as <c>name:value\n</c>, in the order sent.</param>
    public static string TrailerSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, string canonicalTrailer)
        => Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(
            $"AWS4-HMAC-SHA256-TRAILER\n{amzDate}\n{scope}\n{previousSignature}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalTrailer)))}")));

    public static bool FixedTimeEquals(string expected, string actual)
        => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    internal static string? CanonicalRequest(SigV4Authorization authorization, SignedRequest request)
        => PayloadHash(authorization, request, out _) is { } payloadHash ? CanonicalRequest(authorization, request, payloadHash) : null;

    private static string? PayloadHash(SigV4Authorization authorization, SignedRequest request, out SigV4Failure? problem)
    {
        problem = null;
        var isS3 = authorization.Service == "s3";
        if (authorization.IsPresigned)
        {
            var declaredInQuery = request.Query.FirstOrDefault(p => p.Key == "X-Amz-Content-Sha256");
            return declaredInQuery.Key is null ? UnsignedPayload : declaredInQuery.Value;
        }

        if (request.Headers.TryGetValue("x-amz-content-sha256", out var declared))
        {
            if (!isS3 && declared != UnsignedPayload && !FixedTimeEquals(Hex(SHA256.HashData(request.Body.Span)), declared))
            {
                problem = new(SigV4FailureKind.PayloadHashMismatch, "the body's SHA-256 does not match the x-amz-content-sha256 header");
                return null;
            }

            return declared;
        }

        if (isS3)
        {
            problem = new(SigV4FailureKind.Malformed, "S3 requests must carry the x-amz-content-sha256 header (the payload's SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode)");
            return null;
        }

        return Hex(SHA256.HashData(request.Body.Span));
    }

    private static string? CanonicalRequest(SigV4Authorization authorization, SignedRequest request, string payloadHash)
    {
        // S3 signs the path as the object key is encoded once; other services encode the already-encoded path again.
        var path = authorization.Service == "s3"
            ? string.Join('/', request.RawPath.Split('/').Select(segment => UriEncode(PercentDecode(segment))))
            : string.Join('/', request.RawPath.Split('/').Select(UriEncode));
        var query = string.Join('&', request.Query
            .Where(p => !(authorization.IsPresigned && p.Key == "X-Amz-Signature"))
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

        return $"{request.Method}\n{(path.Length == 0 ? "/" : path)}\n{query}\n{headers}\n{string.Join(';', authorization.SignedHeaders)}\n{payloadHash}";
    }

    /// <summary>RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex).</summary>
    internal static string UriEncode(string value) => UriEncode(Encoding.UTF8.GetBytes(value));

    public static string UriEncode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
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

    /// <summary>Decodes %XX escapes to bytes, leaving malformed escapes as they are ('+' stays '+', as in a path).</summary>
    public static byte[] PercentDecode(string value)
    {
        var bytes = new List<byte>(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                bytes.Add(byte.Parse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (char.IsAscii(value[i]))
            {
                bytes.Add((byte)value[i]);
            }
            else
            {
                Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed);
                var length = rune.EncodeToUtf8(utf8);
                for (var j = 0; j < length; j++)
                {
                    bytes.Add(utf8[j]);
                }

                i += consumed - 1;
            }
        }

        return [.. bytes];
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
