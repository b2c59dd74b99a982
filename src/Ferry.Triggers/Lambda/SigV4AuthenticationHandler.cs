using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ferry.Triggers.Lambda;

public static class SigV4AuthenticationDefaults
{
    public const string AuthenticationScheme = "SigV4";
}

/// <summary>The secret of an access key and who the key stands for.</summary>
/// <param name="Principal">The identity requests signed with the key authenticate as.</param>
public record SigV4Credential(string SecretAccessKey, ClaimsPrincipal Principal);

/// <summary>Finds the credential of a SigV4 access key id; each host registers its own (Ferry access keys, function bucket keys).</summary>
public interface ISigV4Credentials
{
    /// <returns>Null when the key is unknown (or revoked).</returns>
    ValueTask<SigV4Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken);
}

public sealed class SigV4AuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The service the credential scope must name: "lambda", "s3".</summary>
    public string Service { get; set; } = "lambda";

    /// <summary>Further services a credential scope may name on the same endpoint (the bucket endpoint also serves "sqs").</summary>
    public IReadOnlyList<string> OtherServices { get; set; } = [];

    /// <summary>
    /// Bodies of services other than S3 are signed, so they are read (buffered) before verifying: larger ones are
    /// refused. S3 declares its payload's hash in a header; its body is checked while it is read, later.
    /// </summary>
    public int MaxSignedBodyBytes { get; set; } = 6 * 1024 * 1024;

    public new SigV4AuthenticationEvents Events
    {
        get => (SigV4AuthenticationEvents)base.Events!;
        set => base.Events = value;
    }
}

/// <summary>How a refusal is answered: each service speaks its own error dialect (Lambda JSON, S3 XML).</summary>
public class SigV4AuthenticationEvents
{
    /// <summary>Writes the answer to a request that carried no valid signature; the default is a bare 401.</summary>
    public Func<SigV4ChallengeContext, Task> OnChallenge { get; set; } = context =>
    {
        context.HttpContext.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.HttpContext.Response.Headers.WWWAuthenticate = SigV4Authorization.Algorithm;
        return Task.CompletedTask;
    };
}

/// <param name="Rejection">Why the request was refused; null when it carried no signature at all.</param>
public sealed record SigV4ChallengeContext(HttpContext HttpContext, SigV4Rejection? Rejection);

public enum SigV4RejectionKind
{
    /// <summary>An Authorization header that uses another scheme than AWS4-HMAC-SHA256 (e.g. SigV2's "AWS ").</summary>
    UnsupportedAlgorithm,

    /// <summary>The Authorization header does not parse.</summary>
    MalformedHeader,

    /// <summary>The presigned URL's X-Amz-* parameters do not parse.</summary>
    MalformedQuery,

    UnknownAccessKey,

    /// <summary>The signed body is larger than <see cref="SigV4AuthenticationOptions.MaxSignedBodyBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>The signature was checked and is wrong, expired or skewed: see <see cref="SigV4Rejection.Failure"/>.</summary>
    InvalidSignature,
}

/// <summary>Why a signed request was refused.</summary>
public sealed record SigV4Rejection(SigV4RejectionKind Kind, string Message, string? AccessKeyId = null, SigV4Failure? Failure = null);

/// <summary>Carries a <see cref="SigV4Rejection"/> through <see cref="AuthenticateResult.Failure"/>.</summary>
public sealed class SigV4AuthenticationException(SigV4Rejection rejection) : Exception(rejection.Message)
{
    public SigV4Rejection Rejection { get; } = rejection;
}

/// <summary>
/// Set on the request once its signature verified: what the service needs beyond the principal (the region the
/// request was signed for; for S3's streaming bodies, what chunk signatures chain from).
/// </summary>
public sealed record SigV4SignatureFeature(SigV4Authorization Authorization, string AmzDate, byte[] SigningKey, SigV4Credential Credential)
{
    public string Scope => SigV4Verifier.Scope(Authorization);
}

/// <summary>
/// The SigV4 authentication scheme: reads the signature from the <c>Authorization</c> header or a presigned URL's
/// query, finds the access key through <see cref="ISigV4Credentials"/>, verifies the signature with
/// <see cref="SigV4Verifier"/> (bodies of non-S3 services are read, bounded, and hashed) and authenticates the request
/// as the key's principal. A request without any signature is no result (another scheme may handle it).
/// </summary>
public sealed class SigV4AuthenticationHandler(
    IOptionsMonitor<SigV4AuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ISigV4Credentials credentials)
    : AuthenticationHandler<SigV4AuthenticationOptions>(options, logger, encoder)
{
    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SigV4AuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (rawPath, query) = RawTarget(Context);
        var header = Request.Headers.Authorization.ToString();
        SigV4Authorization? authorization;
        if (header.Length > 0)
        {
            if (header.StartsWith("AWS ", StringComparison.Ordinal))
            {
                return Reject(new(SigV4RejectionKind.UnsupportedAlgorithm, $"The authorization mechanism you have provided is not supported. Please use {SigV4Authorization.Algorithm}."));
            }

            if (!SigV4Authorization.TryParse(header, ScopedService(header), out authorization, out var problem))
            {
                return Reject(new(SigV4RejectionKind.MalformedHeader, problem));
            }
        }
        else if (query.Any(p => p.Key is "X-Amz-Signature" or "X-Amz-Credential" or "X-Amz-Algorithm"))
        {
            if (!SigV4Authorization.TryParseQuery(query, ScopedService(query.FirstOrDefault(p => p.Key == "X-Amz-Credential").Value ?? ""), out authorization, out var problem))
            {
                return Reject(new(SigV4RejectionKind.MalformedQuery, problem));
            }
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        var credential = await credentials.FindAsync(authorization.AccessKeyId, Context.RequestAborted);
        if (credential is null)
        {
            return Reject(new(SigV4RejectionKind.UnknownAccessKey, "The access key id is unknown or was revoked", authorization.AccessKeyId));
        }

        var body = ReadOnlyMemory<byte>.Empty;
        if (authorization.Service != "s3")
        {
            if (await ReadSignedBodyAsync() is not { } read)
            {
                return Reject(new(SigV4RejectionKind.BodyTooLarge, $"Request must be smaller than {Options.MaxSignedBodyBytes} bytes", authorization.AccessKeyId));
            }

            body = read;
        }

        var signed = new SignedRequest(Request.Method, rawPath, query,
            Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal), body);
        if (SigV4Verifier.Check(authorization, signed, credential.SecretAccessKey, TimeProvider.GetUtcNow()) is { } failure)
        {
            return Reject(new(SigV4RejectionKind.InvalidSignature, failure.Message, authorization.AccessKeyId, failure));
        }

        Context.Features.Set(new SigV4SignatureFeature(authorization, SigV4Verifier.AmzDate(authorization, signed)!,
            SigV4Verifier.SigningKey(credential.SecretAccessKey, authorization), credential));
        return AuthenticateResult.Success(new AuthenticationTicket(credential.Principal, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var rejection = (result.Failure as SigV4AuthenticationException)?.Rejection;
        await Events.OnChallenge(new SigV4ChallengeContext(Context, rejection));
    }

    private new SigV4AuthenticationEvents Events => (SigV4AuthenticationEvents)base.Events!;

    /// <summary>The one of <see cref="SigV4AuthenticationOptions.OtherServices"/> the credential names, else the main service.</summary>
    private string ScopedService(string credential) =>
        Options.OtherServices.FirstOrDefault(s => credential.Contains("/" + s + "/aws4_request", StringComparison.Ordinal)) ?? Options.Service;

    private static AuthenticateResult Reject(SigV4Rejection rejection) => AuthenticateResult.Fail(new SigV4AuthenticationException(rejection));

    /// <summary>The body (left readable again for the endpoint), or null when it is larger than the limit.</summary>
    private async Task<byte[]?> ReadSignedBodyAsync()
    {
        var limit = Options.MaxSignedBodyBytes;
        if (Request.ContentLength > limit)
        {
            return null;
        }

        Request.EnableBuffering(limit);
        using var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await Request.Body.ReadAsync(buffer, Context.RequestAborted)) > 0)
        {
            if (body.Length + read > limit)
            {
                return null;
            }

            body.Write(buffer, 0, read);
        }

        Request.Body.Position = 0;
        return body.ToArray();
    }

    /// <summary>
    /// The path exactly as sent (still percent-encoded) and the query decoded byte-wise ('+' stays '+'): what the
    /// client signed, not ASP.NET's normalised view of it.
    /// </summary>
    public static (string RawPath, IReadOnlyList<KeyValuePair<string, string>> Query) RawTarget(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path.Value ?? "/";
        if (!target.StartsWith('/'))
        {
            // Absolute form (http://host/path): keep the path.
            var afterScheme = target.IndexOf("://", StringComparison.Ordinal);
            var pathStart = afterScheme < 0 ? -1 : target.IndexOf('/', afterScheme + 3);
            target = pathStart < 0 ? "/" : target[pathStart..];
        }

        var questionMark = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = questionMark < 0 ? target : target[..questionMark];
        var query = new List<KeyValuePair<string, string>>();
        if (questionMark >= 0)
        {
            foreach (var part in target[(questionMark + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                query.Add(new(Decode(equals < 0 ? part : part[..equals]), Decode(equals < 0 ? "" : part[(equals + 1)..])));
            }
        }

        return (rawPath.Length == 0 ? "/" : rawPath, query);
    }

    private static string Decode(string value) => Encoding.UTF8.GetString(SigV4Verifier.PercentDecode(value));
}
