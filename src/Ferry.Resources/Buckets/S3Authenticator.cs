using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>Who signed a request, and how its body is to be checked.</summary>
/// <param name="ContentSha256">The signed payload hash (hex, UNSIGNED-PAYLOAD or a STREAMING- mode).</param>
/// <param name="Signing">For streaming signed bodies: what chunk signatures chain from.</param>
internal sealed record S3Caller(BucketPrincipal Principal, string AccessKeyId, string ContentSha256, ChunkSigning? Signing);

/// <summary>
/// Authenticates every request with SigV4, in the header form or as a presigned URL; there is no anonymous access.
/// Failures become the S3 errors SDKs expect (InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed…).
/// </summary>
internal sealed class S3Authenticator(IBucketCredentials credentials, TimeProvider clock)
{
    public async Task<S3Caller> AuthenticateAsync(HttpContext context, S3Request request, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        SigV4Authorization? authorization;
        if (header.Length > 0)
        {
            if (header.StartsWith("AWS ", StringComparison.Ordinal))
            {
                throw S3Exception.InvalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
            }

            if (!SigV4Authorization.TryParse(header, "s3", out authorization, out var problem))
            {
                throw new S3Exception("AuthorizationHeaderMalformed", 400, $"The authorization header is malformed: {problem}");
            }
        }
        else if (request.Has("X-Amz-Signature") || request.Has("X-Amz-Credential") || request.Has("X-Amz-Algorithm"))
        {
            if (!SigV4Authorization.TryParseQuery(request.Query, "s3", out authorization, out var problem))
            {
                throw new S3Exception("AuthorizationQueryParametersError", 400, problem);
            }
        }
        else
        {
            throw S3Exception.AccessDenied("Anonymous access is not allowed: sign requests with AWS Signature Version 4 using a Ferry access key");
        }

        var principal = await credentials.FindAsync(authorization.AccessKeyId, cancellationToken)
            ?? throw new S3Exception("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")
            {
                Details = [new("AWSAccessKeyId", authorization.AccessKeyId)],
            };

        var signed = new SignedRequest(request.Method, request.RawPath, request.Query,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal),
            ReadOnlyMemory<byte>.Empty);
        if (SigV4Verifier.Check(authorization, signed, principal.SecretAccessKey, clock.GetUtcNow()) is { } failure)
        {
            throw failure.Kind switch
            {
                SigV4FailureKind.SignatureDoesNotMatch => new S3Exception("SignatureDoesNotMatch", 403,
                    "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
                {
                    Details =
                    [
                        new("AWSAccessKeyId", authorization.AccessKeyId),
                        new("StringToSign", failure.StringToSign ?? ""),
                        new("CanonicalRequest", failure.CanonicalRequest ?? ""),
                    ],
                },
                SigV4FailureKind.RequestTimeTooSkewed => new S3Exception("RequestTimeTooSkewed", 403,
                    $"The difference between the request time and the current time is too large: {failure.Message}"),
                SigV4FailureKind.Expired => S3Exception.AccessDenied($"Request has expired: {failure.Message}"),
                _ => S3Exception.AccessDenied($"The request is not signed correctly: {failure.Message}"),
            };
        }

        var contentSha256 = authorization.IsPresigned
            ? request.Get("X-Amz-Content-Sha256") ?? SigV4Verifier.UnsignedPayload
            : context.Request.Headers["x-amz-content-sha256"].ToString();
        var signing = authorization.IsPresigned
            ? null
            : new ChunkSigning(SigV4Verifier.SigningKey(principal.SecretAccessKey, authorization), SigV4Verifier.AmzDate(authorization, signed)!,
                SigV4Verifier.Scope(authorization), authorization.Signature);
        return new S3Caller(principal, authorization.AccessKeyId, contentSha256, signing);
    }
}
