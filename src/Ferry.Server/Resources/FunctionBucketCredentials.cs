using System.Collections.Concurrent;
using Ferry.Resources.Buckets;
using Ferry.Resources.Tables;
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

    /// <summary>
    /// Lets functions holding <paramref name="accessKeyId"/> use <paramref name="buckets"/> and the tables of
    /// <paramref name="tables"/> (their own app stage) — replaces what the key could use before.
    /// </summary>
    public void Grant(string accessKeyId, string secretAccessKey, string tenant, IReadOnlySet<string> buckets, TableScope? tables = null)
        => _functions[accessKeyId] = new BucketPrincipal(tenant, secretAccessKey, buckets) { Tables = tables };

    public void Revoke(string accessKeyId) => _functions.TryRemove(accessKeyId, out _);

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
