using System.Security.Cryptography;
using System.Text;
using Ferry.Triggers.Lambda;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>The S3 flavour of SigV4 the endpoint relies on (the Lambda flavour is tested in Ferry.Triggers.Tests).</summary>
public sealed class SigV4S3Tests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static SigV4Authorization Authorization(params string[] signedHeaders)
        => new("AKID", new DateOnly(2026, 3, 1), "us-east-1", "s3", signedHeaders.Length == 0 ? ["host", "x-amz-content-sha256", "x-amz-date"] : signedHeaders, new string('0', 64));

    private static SignedRequest Request(string path, string contentSha256 = SigV4Verifier.UnsignedPayload, IReadOnlyList<KeyValuePair<string, string>>? query = null)
        => new("GET", path, query ?? [],
            new Dictionary<string, string> { ["host"] = "127.0.0.1:9000", ["x-amz-date"] = "20260301T120000Z", ["x-amz-content-sha256"] = contentSha256 },
            ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void S3_paths_are_encoded_once_and_the_declared_payload_hash_is_signed_as_is()
    {
        var canonical = CanonicalRequest(Request("/bucket/a%20b/%F0%9F%98%80~x"));

        Assert.StartsWith("GET\n/bucket/a%20b/%F0%9F%98%80~x\n", canonical, StringComparison.Ordinal);
        Assert.EndsWith("\nUNSIGNED-PAYLOAD", canonical, StringComparison.Ordinal);
        var streaming = CanonicalRequest(Request("/b/k", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
        Assert.EndsWith("\nSTREAMING-UNSIGNED-PAYLOAD-TRAILER", streaming, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_made_with_the_same_key_verifies_and_a_changed_path_does_not()
    {
        var authorization = Sign(Authorization(), Request("/bucket/key"), "secret");

        Assert.Null(SigV4Verifier.Check(authorization, Request("/bucket/key"), "secret", Now));
        var changed = SigV4Verifier.Check(authorization, Request("/bucket/other"), "secret", Now);
        Assert.Equal(SigV4FailureKind.SignatureDoesNotMatch, changed?.Kind);
        Assert.Contains("/bucket/other", changed?.CanonicalRequest, StringComparison.Ordinal);
        Assert.Equal(SigV4FailureKind.RequestTimeTooSkewed, SigV4Verifier.Check(authorization, Request("/bucket/key"), "secret", Now.AddMinutes(16))?.Kind);
    }

    [Fact]
    public void S3_requests_without_a_payload_hash_header_are_malformed()
    {
        var request = Request("/b/k") with { Headers = new Dictionary<string, string> { ["host"] = "h", ["x-amz-date"] = "20260301T120000Z" } };
        var failure = SigV4Verifier.Check(Authorization("host", "x-amz-date"), request, "secret", Now);
        Assert.Equal(SigV4FailureKind.Malformed, failure?.Kind);
        Assert.Contains("x-amz-content-sha256", failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Presigned_query_parameters_are_parsed_and_expire()
    {
        List<KeyValuePair<string, string>> query =
        [
            new("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            new("X-Amz-Credential", "AKID/20260301/us-east-1/s3/aws4_request"),
            new("X-Amz-Date", "20260301T120000Z"),
            new("X-Amz-Expires", "300"),
            new("X-Amz-SignedHeaders", "host"),
            new("X-Amz-Signature", new string('a', 64)),
        ];
        Assert.True(SigV4Authorization.TryParseQuery(query, "s3", out var parsed, out var problem), problem);
        Assert.Equal(TimeSpan.FromMinutes(5), parsed.PresignedExpiry);

        var request = Request("/b/k", query: query);
        var signed = Sign(parsed, request, "secret");
        Assert.Null(SigV4Verifier.Check(signed, request, "secret", Now.AddMinutes(4)));
        Assert.Equal(SigV4FailureKind.Expired, SigV4Verifier.Check(signed, request, "secret", Now.AddMinutes(6))?.Kind);

        query[3] = new("X-Amz-Expires", "604801");
        Assert.False(SigV4Authorization.TryParseQuery(query, "s3", out _, out problem));
        Assert.Contains("X-Amz-Expires", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_credentials_must_be_scoped_to_the_expected_service()
    {
        const string Header = "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=" +
            "0000000000000000000000000000000000000000000000000000000000000000";
        Assert.False(SigV4Authorization.TryParse(Header, "s3", out _, out var problem));
        Assert.Contains("'s3', not 'lambda'", problem, StringComparison.Ordinal);
    }

    /// <summary>What the verifier signed, as it reports on a mismatch.</summary>
    private static string CanonicalRequest(SignedRequest request)
        => SigV4Verifier.Check(Authorization(), request, "secret", Now)?.CanonicalRequest ?? throw new InvalidOperationException("an all-zero signature cannot match");

    /// <summary>Signs like a client would: from the same canonical request the verifier reports on a mismatch.</summary>
    private static SigV4Authorization Sign(SigV4Authorization authorization, SignedRequest request, string secret)
    {
        var failure = SigV4Verifier.Check(authorization, request, secret, Now);
        Assert.Equal(SigV4FailureKind.SignatureDoesNotMatch, failure?.Kind);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(SigV4Verifier.SigningKey(secret, authorization), Encoding.UTF8.GetBytes(failure!.StringToSign!)));
        return authorization with { Signature = signature };
    }
}
