using System.Collections.Concurrent;
using Ferry.Resources.Buckets;
using Ferry.Store;

namespace Ferry.Server.Resources;

/// <summary>
/// Who may use the bucket endpoint: the functions of each served app stage, with a key of their own that reaches only
/// their app stage's buckets, and people with a Ferry access key (<c>ferry token access-key</c>), who reach every
/// bucket of their tenant.
/// </summary>
public sealed class FunctionBucketCredentials(IAccessStore access) : IBucketCredentials
{
    private static readonly Role[] AppRoles = [Role.Admin, Role.Provider, Role.Consumer];

    private readonly ConcurrentDictionary<string, BucketPrincipal> _functions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _appStages = new(StringComparer.Ordinal);

    /// <summary>
    /// Lets functions holding <paramref name="accessKeyId"/> use <paramref name="buckets"/> and the queues of their app
    /// stage (replaces what the key could use before).
    /// </summary>
    /// <param name="appStage">Whose functions hold the key ("tenant/service/stage/region"): scopes queues, and names the holder in errors and logs.</param>
    public void Grant(string accessKeyId, string secretAccessKey, string tenant, IReadOnlySet<string> buckets, string appStage = "")
    {
        _appStages[accessKeyId] = appStage;
        _functions[accessKeyId] = new BucketPrincipal(tenant, secretAccessKey, buckets, appStage.Length == 0 ? null : appStage);
    }

    public void Revoke(string accessKeyId)
    {
        _functions.TryRemove(accessKeyId, out _);
        _appStages.TryRemove(accessKeyId, out _);
    }

    /// <summary>
    /// The functions' key <paramref name="accessKeyId"/>: its tenant and secret, and whose functions hold it; null for
    /// any other key (Ferry access keys included). The Lambda API signs such callers in as functions of that tenant.
    /// </summary>
    public (BucketPrincipal Principal, string AppStage)? FindFunctionKey(string accessKeyId)
        => _functions.TryGetValue(accessKeyId, out var principal)
            ? (principal, _appStages.GetValueOrDefault(accessKeyId, ""))
            : null;

    public async ValueTask<BucketPrincipal?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        if (_functions.TryGetValue(accessKeyId, out var function))
        {
            return function;
        }

        // Only roles that work with apps reach their data (not reviewers or a consumer server's installer key).
        var key = await access.FindAccessKeyAsync(accessKeyId, cancellationToken);
        return key is null || !key.Token.Roles.Overlaps(AppRoles) ? null : new BucketPrincipal(key.Token.Tenant, key.SecretAccessKey, AllowedBuckets: null);
    }
}
