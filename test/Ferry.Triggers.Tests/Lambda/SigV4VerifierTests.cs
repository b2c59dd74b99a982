using System.Text;
using Ferry.Triggers.Lambda;

namespace Ferry.Triggers.Tests;

public sealed class SigV4VerifierTests
{
    // AWS's published SigV4 test suite, case "get-vanilla".
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SignedAt = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static SigV4Authorization Authorization(string signature) => new(
        "AKIDEXAMPLE", new DateOnly(2015, 8, 30), "us-east-1", "service", ["host", "x-amz-date"], signature);

    private static SignedRequest Request(string path = "/") => new("GET", path, [],
        new Dictionary<string, string> { ["host"] = "example.amazonaws.com", ["x-amz-date"] = "20150830T123600Z" }, Array.Empty<byte>());

    [Fact]
    public void Accepts_the_signature_of_the_aws_test_suite()
    {
        var result = SigV4Verifier.Verify(Authorization("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"), Request(), Secret, SignedAt);
        Assert.Null(result);
    }

    [Fact]
    public void Refuses_a_wrong_secret_a_changed_request_and_a_stale_date()
    {
        var authorization = Authorization("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        Assert.Contains("does not match", SigV4Verifier.Verify(authorization, Request(), "another-secret", SignedAt));
        Assert.Contains("does not match", SigV4Verifier.Verify(authorization, Request("/other"), Secret, SignedAt));
        Assert.Contains("minutes from the server's time", SigV4Verifier.Verify(authorization, Request(), Secret, SignedAt.AddHours(1)));
    }

    [Fact]
    public void Path_segments_are_encoded_again_as_non_s3_services_sign_them()
    {
        var canonical = SigV4Verifier.CanonicalRequest(Authorization(new string('0', 64)), Request("/2015-03-31/functions/fn%3A1/invocations"))!;
        Assert.StartsWith("GET\n/2015-03-31/functions/fn%253A1/invocations\n", canonical, StringComparison.Ordinal);
        Assert.Equal("a%20b~%2F", SigV4Verifier.UriEncode("a b~/"));
        Assert.EndsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(""))), canonical, StringComparison.Ordinal);
    }
}
