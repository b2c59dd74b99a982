using Ferry.Triggers.Lambda;

namespace Ferry.Triggers.Tests.Lambda;

public sealed class SigV4AuthorizationTests
{
    private const string Signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    private const string Valid =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250602/local/lambda/aws4_request, " +
        "SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type, Signature=" + Signature;

    [Fact]
    public void A_signed_sdk_request_header_is_taken_apart()
    {
        Assert.True(SigV4Authorization.TryParse(Valid, out var authorization, out var problem), problem);

        Assert.Equal("AKIDEXAMPLE", authorization.AccessKeyId);
        Assert.Equal(new DateOnly(2025, 6, 2), authorization.Date);
        Assert.Equal("local", authorization.Region);
        Assert.Equal("lambda", authorization.Service);
        Assert.Equal(["content-type", "host", "x-amz-date", "x-amz-invocation-type"], authorization.SignedHeaders);
        Assert.Equal(Signature, authorization.Signature);
    }

    [Theory]
    [InlineData("Bearer abc", "must use the AWS4-HMAC-SHA256 signature algorithm")]
    [InlineData("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + Signature, "requires the 'Credential' parameter")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda/aws4_request, SignedHeaders=host", "requires the 'Signature' parameter")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/2025-06-02/local/lambda/aws4_request, SignedHeaders=host, Signature=" + Signature, "Credential 'AKID/2025-06-02/local/lambda/aws4_request' is malformed")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda, SignedHeaders=host, Signature=" + Signature, "is malformed; expected ACCESS_KEY/YYYYMMDD/REGION/lambda/aws4_request")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/s3/aws4_request, SignedHeaders=host, Signature=" + Signature, "scoped to the service 'lambda', not 's3'")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=" + Signature, "including 'host'")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda/aws4_request, SignedHeaders=Host, Signature=" + Signature, "lower-case header names")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda/aws4_request, SignedHeaders=host, Signature=xyz", "Signature must be 64 lower-case hexadecimal digits")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKID/20250602/local/lambda/aws4_request, Credential=B/20250602/local/lambda/aws4_request, SignedHeaders=host, Signature=" + Signature, "is malformed or repeated")]
    public void Malformed_headers_are_rejected_with_the_reason(string header, string problemPart)
    {
        Assert.False(SigV4Authorization.TryParse(header, out var authorization, out var problem));
        Assert.Null(authorization);
        Assert.Contains(problemPart, problem, StringComparison.Ordinal);
    }
}
