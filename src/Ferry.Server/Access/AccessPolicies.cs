using Ferry.Runtime;
using Ferry.Store;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Server.Access;

/// <summary>
/// The authentication schemes and authorization policies of the server. Endpoints say what protects them
/// (<c>RequireAuthorization(AccessPolicies.Admin)</c>); endpoints without a policy (function URLs, <c>/healthz</c>,
/// the console's files) are public, and no scheme runs for them.
/// </summary>
public static class AccessPolicies
{
    public const string BearerScheme = "Bearer";

    /// <summary>SigV4 with a Ferry access key, or a bearer token: what the Lambda Invoke API accepts.</summary>
    public const string SigV4OrBearerScheme = "SigV4OrBearer";

    /// <summary>Any valid token (the whole <c>/api</c> tree).</summary>
    public const string Authenticated = "authenticated";

    public const string Admin = "admin";

    /// <summary>Working with apps: admin, provider or consumer.</summary>
    public const string Apps = "apps";

    /// <summary>Binding custom domains to the tenant's own app stages: admin, provider or consumer.</summary>
    public const string Domains = "domains";

    public const string Provider = "provider";
    public const string Reviewer = "reviewer";
    public const string Installer = "installer";

    /// <summary>The Lambda Invoke API: admin, provider or consumer, signed with SigV4 or by bearer token.</summary>
    public const string InvokeFunctions = "invoke-functions";

    private static readonly Role[] AppRoles = [Role.Admin, Role.Provider, Role.Consumer];

    public static IServiceCollection AddFerryAccess(this IServiceCollection services)
    {
        services.AddSingleton<LocalInstallerCredential>();
        services.AddSingleton<BearerTokenResolver>();
        services.AddSingleton<ISigV4Credentials, AccessKeyCredentials>();
        // No default scheme: a request is authenticated only when its endpoint's policy names a scheme.
        services.AddAuthentication()
            .AddScheme<BearerTokenAuthenticationOptions, BearerTokenAuthenticationHandler>(BearerScheme, null)
            .AddScheme<SigV4AuthenticationOptions, SigV4AuthenticationHandler>(SigV4AuthenticationDefaults.AuthenticationScheme, sigV4 =>
            {
                sigV4.Service = "lambda";
                sigV4.Events = new SigV4AuthenticationEvents
                {
                    OnChallenge = context => AccessErrorDialect.Of(context.HttpContext).WriteChallengeAsync(context.HttpContext, Challenge(context.Rejection)),
                };
            })
            .AddPolicyScheme(SigV4OrBearerScheme, "SigV4 or bearer token", selector => selector.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? BearerScheme
                    : SigV4AuthenticationDefaults.AuthenticationScheme);
        // The signed body is read before the endpoint runs: as much as a synchronous invocation may carry.
        services.AddOptions<SigV4AuthenticationOptions>(SigV4AuthenticationDefaults.AuthenticationScheme)
            .Configure<RuntimeOptions>((sigV4, runtime) => sigV4.MaxSignedBodyBytes = runtime.MaxPayloadBytes);

        services.AddAuthorizationBuilder()
            .AddPolicy(Authenticated, policy => policy.AddAuthenticationSchemes(BearerScheme).RequireAuthenticatedUser())
            .AddPolicy(Admin, policy => Roles(policy, Role.Admin))
            .AddPolicy(Apps, policy => Roles(policy, AppRoles))
            .AddPolicy(Domains, policy => Roles(policy, AppRoles))
            .AddPolicy(Provider, policy => Roles(policy, Role.Provider))
            .AddPolicy(Reviewer, policy => Roles(policy, Role.Reviewer))
            .AddPolicy(Installer, policy => Roles(policy, Role.Installer))
            .AddPolicy(InvokeFunctions, policy => policy.AddAuthenticationSchemes(SigV4OrBearerScheme).RequireAuthenticatedUser()
                .AddRequirements(new AccessRoleRequirement(AppRoles)));
        services.AddSingleton<IAuthorizationHandler, AccessRoleHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessRefusalWriter>();
        return services;
    }

    private static void Roles(AuthorizationPolicyBuilder policy, params Role[] roles)
        => policy.AddAuthenticationSchemes(BearerScheme).RequireAuthenticatedUser().AddRequirements(new AccessRoleRequirement(roles));

    private static AccessChallenge Challenge(SigV4Rejection? rejection) => rejection switch
    {
        null => new(ChallengeReason.NoCredentials, "No signature"),
        { Kind: SigV4RejectionKind.UnknownAccessKey } => new(ChallengeReason.UnknownAccessKey, rejection.Message),
        { Kind: SigV4RejectionKind.BodyTooLarge } => new(ChallengeReason.BodyTooLarge, rejection.Message),
        { Kind: SigV4RejectionKind.InvalidSignature } => new(ChallengeReason.InvalidSignature, rejection.Message),
        _ => new(ChallengeReason.MalformedSignature, rejection.Message),
    };
}

/// <summary>The caller must have one of <see cref="Roles"/>; admins pass every role requirement.</summary>
public sealed class AccessRoleRequirement(params Role[] roles) : IAuthorizationRequirement
{
    public IReadOnlyList<Role> Roles { get; } = roles;
}

internal sealed class AccessRoleHandler : AuthorizationHandler<AccessRoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRoleRequirement requirement)
    {
        if (Caller.FromPrincipal(context.User) is { } caller && caller.HasAny([.. requirement.Roles]))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a request its policy refused: a missing role is a 403 naming the roles needed, in the endpoint's
/// <see cref="AccessErrorDialect"/>; challenges go to the schemes (which also answer in that dialect).
/// </summary>
internal sealed class AccessRefusalWriter : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _schemes = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden)
        {
            var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<AccessRoleRequirement>()
                .SelectMany(r => r.Roles).Distinct().ToList() ?? [];
            await AccessErrorDialect.Of(context).WriteForbiddenAsync(context, Caller.FromPrincipal(context.User), needed);
            return;
        }

        await _schemes.HandleAsync(next, context, policy, authorizeResult);
    }
}
