using Ferry.Store;
using Ferry.Triggers.Lambda;

namespace Ferry.Server.Access;

/// <summary>
/// Ferry access keys (<c>ferry token access-key</c>) for the SigV4 scheme: a key signs in as the token it was created
/// with (same tenant, roles, id and name as a bearer request with that token). The secret is read through the store.
/// </summary>
public sealed class AccessKeyCredentials(IAccessStore store) : ISigV4Credentials
{
    public async ValueTask<SigV4Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        var key = await store.FindAccessKeyAsync(accessKeyId, cancellationToken);
        if (key is null)
        {
            return null;
        }

        var caller = new Caller(key.Token.Tenant, key.Token.Roles, key.Token.Id, key.Token.Name);
        return new SigV4Credential(key.SecretAccessKey, caller.ToPrincipal(SigV4AuthenticationDefaults.AuthenticationScheme));
    }
}
