using Ferry.Server.Resources;
using Ferry.Store;
using Ferry.Triggers.Lambda;

namespace Ferry.Server.Access;

/// <summary>
/// Ferry access keys (<c>ferry token access-key</c>) for the SigV4 scheme: a key signs in as the token it was created
/// with (same tenant, roles, id and name as a bearer request with that token). The secret is read through the store.
/// A function's own key (<see cref="FunctionBucketCredentials"/>, given to every function as AWS_ACCESS_KEY_ID) signs in
/// as a consumer of the function's tenant: it may invoke that tenant's functions and nothing of another tenant's.
/// </summary>
public sealed class AccessKeyCredentials(IAccessStore store, FunctionBucketCredentials functions) : ISigV4Credentials
{
    /// <summary>The token id of callers signed in with a function's key (no token stands behind them).</summary>
    public const long FunctionKeyTokenId = 0;

    public async ValueTask<SigV4Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        if (functions.FindFunctionKey(accessKeyId) is { } function)
        {
            var functionCaller = new Caller(function.Principal.Tenant, new HashSet<Role> { Role.Consumer }, FunctionKeyTokenId, "functions of " + function.AppStage);
            return new SigV4Credential(function.Principal.SecretAccessKey, functionCaller.ToPrincipal(SigV4AuthenticationDefaults.AuthenticationScheme));
        }

        var key = await store.FindAccessKeyAsync(accessKeyId, cancellationToken);
        if (key is null)
        {
            return null;
        }

        var caller = new Caller(key.Token.Tenant, key.Token.Roles, key.Token.Id, key.Token.Name);
        return new SigV4Credential(key.SecretAccessKey, caller.ToPrincipal(SigV4AuthenticationDefaults.AuthenticationScheme));
    }
}
