using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Triggers.Tests;

/// <summary>The SigV4 authentication scheme on AWS's published "get-vanilla" request (SigV4VerifierTests checks the maths).</summary>
public sealed class SigV4AuthenticationHandlerTests
{
    private const string KeyId = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string VanillaSignature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    private static readonly DateTimeOffset SignedAt = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static DefaultHttpContext Vanilla(string? authorization = null, byte[]? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/";
        context.Request.Headers.Host = "example.amazonaws.com";
        context.Request.Headers["X-Amz-Date"] = "20150830T123600Z";
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (body is not null)
        {
            context.Request.Body = new MemoryStream(body);
            context.Request.ContentLength = body.Length;
        }

        return context;
    }

    private static string Header(string keyId = KeyId, string signature = VanillaSignature)
        => $"AWS4-HMAC-SHA256 Credential={keyId}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}";

    private static async Task<AuthenticateResult> AuthenticateAsync(HttpContext context, int maxSignedBodyBytes = 1024)
    {
        var options = new SigV4AuthenticationOptions { Service = "service", MaxSignedBodyBytes = maxSignedBodyBytes, TimeProvider = new FakeTimeProvider(SignedAt) };
        var handler = new SigV4AuthenticationHandler(new FixedOptions(options), NullLoggerFactory.Instance, UrlEncoder.Default, new OneKey());
        await handler.InitializeAsync(new AuthenticationScheme(SigV4AuthenticationDefaults.AuthenticationScheme, null, typeof(SigV4AuthenticationHandler)), context);
        return await handler.AuthenticateAsync();
    }

    private static SigV4Rejection? RejectionOf(AuthenticateResult result) => (result.Failure as SigV4AuthenticationException)?.Rejection;

    [Fact]
    public async Task A_correctly_signed_request_authenticates_as_the_keys_principal()
    {
        var context = Vanilla(Header());
        var result = await AuthenticateAsync(context);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("acme", result.Principal!.FindFirst("ferry:tenant")?.Value);
        var signature = context.Features.Get<SigV4SignatureFeature>();
        Assert.NotNull(signature);
        Assert.Equal(("us-east-1", "20150830/us-east-1/service/aws4_request"), (signature.Authorization.Region, signature.Scope));
    }

    [Fact]
    public async Task A_request_without_a_signature_is_no_result_so_another_scheme_may_take_it()
    {
        var result = await AuthenticateAsync(Vanilla());
        Assert.True(result.None);
    }

    [Fact]
    public async Task Unknown_keys_wrong_signatures_and_malformed_headers_fail_with_the_reason()
    {
        Assert.Equal(SigV4RejectionKind.UnknownAccessKey, RejectionOf(await AuthenticateAsync(Vanilla(Header(keyId: "AKIDNOSUCHKEY"))))?.Kind);

        var wrong = RejectionOf(await AuthenticateAsync(Vanilla(Header(signature: new string('0', 64)))));
        Assert.Equal((SigV4RejectionKind.InvalidSignature, SigV4FailureKind.SignatureDoesNotMatch), (wrong?.Kind, wrong?.Failure?.Kind));

        Assert.Equal(SigV4RejectionKind.MalformedHeader, RejectionOf(await AuthenticateAsync(Vanilla("AWS4-HMAC-SHA256 Credential=nope")))?.Kind);
        Assert.Equal(SigV4RejectionKind.UnsupportedAlgorithm, RejectionOf(await AuthenticateAsync(Vanilla("AWS AKIDEXAMPLE:c2lnbmF0dXJl")))?.Kind);
    }

    [Fact]
    public async Task The_signed_body_is_part_of_the_signature_and_stays_readable_for_the_endpoint()
    {
        // The vanilla signature covers an empty body: any body changes what was signed.
        var context = Vanilla(Header(), Encoding.UTF8.GetBytes("{}"));
        var changed = RejectionOf(await AuthenticateAsync(context));
        Assert.Equal(SigV4RejectionKind.InvalidSignature, changed?.Kind);
        Assert.Equal("{}", await new StreamReader(context.Request.Body).ReadToEndAsync());

        var tooLarge = RejectionOf(await AuthenticateAsync(Vanilla(Header(), new byte[2048]), maxSignedBodyBytes: 1024));
        Assert.Equal(SigV4RejectionKind.BodyTooLarge, tooLarge?.Kind);
    }

    private sealed class OneKey : ISigV4Credentials
    {
        public ValueTask<SigV4Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
            => ValueTask.FromResult(accessKeyId == KeyId
                ? new SigV4Credential(Secret, new ClaimsPrincipal(new ClaimsIdentity([new Claim("ferry:tenant", "acme")], "SigV4")))
                : null);
    }

    private sealed class FixedOptions(SigV4AuthenticationOptions options) : IOptionsMonitor<SigV4AuthenticationOptions>
    {
        public SigV4AuthenticationOptions CurrentValue => options;

        public SigV4AuthenticationOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<SigV4AuthenticationOptions, string?> listener) => null;
    }
}
