using Ferry.Runtime;
using Ferry.Server.Access;
using Ferry.Store;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Lambda;

/// <summary>Refusals of the Lambda Invoke API in the shape AWS SDKs parse (<see cref="LambdaError"/>), as AWS words them.</summary>
internal sealed class LambdaAccessErrors : AccessErrorDialect
{
    public static readonly LambdaAccessErrors Instance = new();

    public override Task WriteChallengeAsync(HttpContext context, AccessChallenge challenge) => RefusalOf(context, challenge.Reason switch
    {
        ChallengeReason.NoCredentials => LambdaError.Unauthorized(
            "Requests must be signed (AWS SigV4 with a Ferry access key from `ferry token access-key`) or carry 'Authorization: Bearer TOKEN'"),
        ChallengeReason.InvalidToken or ChallengeReason.UnknownAccessKey => LambdaError.Unauthorized("The security token included in the request is invalid"),
        ChallengeReason.BodyTooLarge => LambdaError.TooLarge(challenge.Message),
        ChallengeReason.InvalidSignature => LambdaError.InvalidSignature(
            $"The request signature we calculated does not match the signature you provided: {challenge.Message}"),
        _ => LambdaError.InvalidSignature(challenge.Message),
    });

    public override Task WriteForbiddenAsync(HttpContext context, Caller? caller, IReadOnlyCollection<Role> needed)
        => RefusalOf(context, LambdaError.AccessDenied($"The token '{caller?.TokenName}' may not invoke functions"));

    /// <summary>Refused before the operation ran, but answered like every Lambda response: with a request id.</summary>
    private static Task RefusalOf(HttpContext context, LambdaError error)
    {
        context.Response.Headers["x-amzn-RequestId"] = RequestId.New();
        return error.ExecuteAsync(context);
    }
}
