using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Access;

/// <summary>Why a request was not authenticated.</summary>
public enum ChallengeReason
{
    /// <summary>No credentials at all (no Authorization header, no presigned query).</summary>
    NoCredentials,

    /// <summary>A bearer token that is unknown or revoked.</summary>
    InvalidToken,

    UnknownAccessKey,

    /// <summary>A SigV4 Authorization header or presigned query that does not parse.</summary>
    MalformedSignature,

    /// <summary>A SigV4 signature that is wrong, expired or too far from the server's clock.</summary>
    InvalidSignature,

    /// <summary>A signed body larger than the scheme reads.</summary>
    BodyTooLarge,
}

public sealed record AccessChallenge(ChallengeReason Reason, string Message);

/// <summary>
/// How refusals (401 challenges, 403 forbidden) are answered on an endpoint: endpoint metadata, so each API keeps its
/// own error shape. Endpoints without it answer as the REST API does (<see cref="ApiAccessErrors"/>).
/// </summary>
public abstract class AccessErrorDialect
{
    public abstract Task WriteChallengeAsync(HttpContext context, AccessChallenge challenge);

    /// <param name="caller">The authenticated caller (null when its principal carries no Ferry claims).</param>
    /// <param name="needed">The roles the endpoint asks for (any one of them, or admin, would do).</param>
    public abstract Task WriteForbiddenAsync(HttpContext context, Caller? caller, IReadOnlyCollection<Role> needed);

    public static AccessErrorDialect Of(HttpContext context)
        => context.GetEndpoint()?.Metadata.GetMetadata<AccessErrorDialect>() ?? ApiAccessErrors.Instance;
}

/// <summary>The REST API's refusals: an <see cref="ApiError"/> body and a <c>WWW-Authenticate: Bearer</c> challenge.</summary>
public sealed class ApiAccessErrors : AccessErrorDialect
{
    public static readonly ApiAccessErrors Instance = new();

    public override Task WriteChallengeAsync(HttpContext context, AccessChallenge challenge)
    {
        if (challenge.Reason == ChallengeReason.NoCredentials)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiResults.Error(StatusCodes.Status401Unauthorized, "unauthenticated",
                "This API needs a token: send 'Authorization: Bearer TOKEN' (the CLI reads FERRY_TOKEN)").ExecuteAsync(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return ApiResults.Error(StatusCodes.Status401Unauthorized, "invalid_token", challenge.Message).ExecuteAsync(context);
    }

    public override Task WriteForbiddenAsync(HttpContext context, Caller? caller, IReadOnlyCollection<Role> needed)
        => ApiResults.Error(StatusCodes.Status403Forbidden, "forbidden", needed.Count == 0 || caller is null
            ? "This token may not use this endpoint"
            : $"This needs the role {string.Join(" or ", needed.Select(CallerClaims.RoleName))}; the token '{caller.TokenName}' has {string.Join(", ", caller.Roles.Select(CallerClaims.RoleName))}")
            .ExecuteAsync(context);
}
