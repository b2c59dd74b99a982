using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ferry.Server.Access;

public sealed class BearerTokenAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// The bearer token scheme: <c>Authorization: Bearer fry_…</c> resolved through <see cref="BearerTokenResolver"/>
/// (the store, cached) to a principal with the token's tenant, roles, id and name. No header is no result; an unknown
/// or revoked token fails. Challenges and refusals are written in the endpoint's <see cref="AccessErrorDialect"/>.
/// </summary>
public sealed class BearerTokenAuthenticationHandler(
    IOptionsMonitor<BearerTokenAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, BearerTokenResolver tokens)
    : AuthenticationHandler<BearerTokenAuthenticationOptions>(options, logger, encoder)
{
    private const string Prefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var caller = await tokens.ResolveAsync(header[Prefix.Length..].Trim(), Context.RequestAborted);
        return caller is null
            ? AuthenticateResult.Fail("The token is unknown or was revoked")
            : AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var challenge = result.Failure is { } failure
            ? new AccessChallenge(ChallengeReason.InvalidToken, failure.Message)
            : new AccessChallenge(ChallengeReason.NoCredentials, "No bearer token");
        await AccessErrorDialect.Of(Context).WriteChallengeAsync(Context, challenge);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => AccessErrorDialect.Of(Context).WriteForbiddenAsync(Context, Caller.FromPrincipal(Context.User), []);
}
