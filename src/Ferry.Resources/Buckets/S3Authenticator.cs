using System.Security.Claims;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>Who signed a request, and how its body is to be checked.</summary>
/// <param name="ContentSha256">The signed payload hash (hex, UNSIGNED-PAYLOAD or a STREAMING- mode).</param>
/// <param name="Signing">For streaming signed bodies: what chunk signatures chain from.</param>
internal sealed record S3Caller(BucketPrincipal Principal, string AccessKeyId, string ContentSha256, ChunkSigning? Signing);

/// <summary>A bucket access key as the SigV4 scheme sees it: its secret, and the buckets it reaches.</summary>
internal sealed record BucketSigV4Credential(BucketPrincipal Bucket, ClaimsPrincipal Principal) : SigV4Credential(Bucket.SecretAccessKey, Principal);

/// <summary>The bucket endpoint's keys (<see cref="IBucketCredentials"/>) for the SigV4 authentication scheme.</summary>
internal sealed class BucketSigV4Credentials(IBucketCredentials credentials) : ISigV4Credentials
{
    public async ValueTask<SigV4Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        if (await credentials.FindAsync(accessKeyId, cancellationToken) is not { } bucket)
        {
            return null;
        }

        var identity = new ClaimsIdentity([new Claim("ferry:tenant", bucket.Tenant)], SigV4AuthenticationDefaults.AuthenticationScheme);
        return new BucketSigV4Credential(bucket, new ClaimsPrincipal(identity));
    }
}

/// <summary>
/// Authenticates every request through the SigV4 authentication scheme (header form or presigned URL; the scheme
/// verifies the request head, the payload is checked against the signed hash or chunk signatures while it is read);
/// there is no anonymous access. Refusals become the S3 errors SDKs expect (InvalidAccessKeyId, SignatureDoesNotMatch,
/// RequestTimeTooSkewed…).
/// </summary>
internal sealed class S3Authenticator
{
    public async Task<S3Caller> AuthenticateAsync(HttpContext context, S3Request request)
    {
        var result = await context.AuthenticateAsync(SigV4AuthenticationDefaults.AuthenticationScheme);
        if (result.None)
        {
            throw S3Exception.AccessDenied("Anonymous access is not allowed: sign requests with AWS Signature Version 4 using a Ferry access key");
        }

        if (!result.Succeeded || context.Features.Get<SigV4SignatureFeature>() is not { Credential: BucketSigV4Credential credential } signature)
        {
            throw Refusal((result.Failure as SigV4AuthenticationException)?.Rejection);
        }

        var authorization = signature.Authorization;
        if (authorization.Service != "s3")
        {
            throw Refusal(new(SigV4RejectionKind.MalformedHeader, $"Credential should be scoped to the service 's3', not '{authorization.Service}'"));
        }

        var contentSha256 = authorization.IsPresigned
            ? request.Get("X-Amz-Content-Sha256") ?? SigV4Verifier.UnsignedPayload
            : context.Request.Headers["x-amz-content-sha256"].ToString();
        var signing = authorization.IsPresigned
            ? null
            : new ChunkSigning(signature.SigningKey, signature.AmzDate, signature.Scope, authorization.Signature);
        return new S3Caller(credential.Bucket, authorization.AccessKeyId, contentSha256, signing);
    }

    private static S3Exception Refusal(SigV4Rejection? rejection) => rejection switch
    {
        null => S3Exception.AccessDenied("The request could not be authenticated"),
        { Kind: SigV4RejectionKind.UnsupportedAlgorithm } => S3Exception.InvalidRequest(rejection.Message),
        { Kind: SigV4RejectionKind.MalformedHeader } => new S3Exception("AuthorizationHeaderMalformed", 400, $"The authorization header is malformed: {rejection.Message}"),
        { Kind: SigV4RejectionKind.MalformedQuery } => new S3Exception("AuthorizationQueryParametersError", 400, rejection.Message),
        { Kind: SigV4RejectionKind.UnknownAccessKey } => new S3Exception("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")
        {
            Details = [new("AWSAccessKeyId", rejection.AccessKeyId ?? "")],
        },
        { Failure: { Kind: SigV4FailureKind.SignatureDoesNotMatch } failure } => new S3Exception("SignatureDoesNotMatch", 403,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        {
            Details =
            [
                new("AWSAccessKeyId", rejection.AccessKeyId ?? ""),
                new("StringToSign", failure.StringToSign ?? ""),
                new("CanonicalRequest", failure.CanonicalRequest ?? ""),
            ],
        },
        { Failure.Kind: SigV4FailureKind.RequestTimeTooSkewed } => new S3Exception("RequestTimeTooSkewed", 403,
            $"The difference between the request time and the current time is too large: {rejection.Message}"),
        { Failure.Kind: SigV4FailureKind.Expired } => S3Exception.AccessDenied($"Request has expired: {rejection.Message}"),
        _ => S3Exception.AccessDenied($"The request is not signed correctly: {rejection.Message}"),
    };
}
