namespace Ferry.Store;

/// <summary>What a token may do. Admins manage tenants and tokens; the others act inside their own tenant.</summary>
public enum Role
{
    Admin,
    /// <summary>Deploys apps and publishes templates.</summary>
    Provider,
    /// <summary>Approves or rejects submitted template versions.</summary>
    Reviewer,
    /// <summary>Deploys and installs apps into its tenant.</summary>
    Consumer,

    /// <summary>
    /// A Ferry server that installs templates from this hub: the only role (besides admin) that may download signed
    /// packages, so closed-source functions never reach a person's hands through the API.
    /// </summary>
    Installer,
}

/// <summary>A workspace: owns apps, logs, usage and installs. Nothing of one tenant is visible to another.</summary>
public sealed record Tenant(string Name, DateTimeOffset CreatedAt);

/// <summary>An API token as stored: only a hash of the secret is kept.</summary>
public sealed record ApiToken(
    long Id,
    string Tenant,
    string Name,
    IReadOnlySet<Role> Roles,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);

/// <summary>
/// An AWS-style access key for SigV4-signed requests (AWS SDKs). It acts as the API token it was made from and stops
/// working when that token is revoked. The secret is kept server-side because SigV4 verification needs it.
/// </summary>
public sealed record AccessKey(string AccessKeyId, string SecretAccessKey, ApiToken Token);

/// <summary>Tenants and API tokens.</summary>
public interface IAccessStore
{
    /// <summary>False when a tenant of that name already exists.</summary>
    Task<bool> CreateTenantAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken cancellationToken);

    Task<bool> TenantExistsAsync(string name, CancellationToken cancellationToken);

    /// <param name="secretHash">Lowercase hex SHA-256 of the token's secret.</param>
    /// <param name="prefix">The first characters of the token, shown in lists so people can tell tokens apart.</param>
    Task<ApiToken> CreateTokenAsync(string tenant, string name, IReadOnlyCollection<Role> roles, string secretHash, string prefix, CancellationToken cancellationToken);

    /// <summary>The token with that secret hash, when it exists and is not revoked.</summary>
    Task<ApiToken?> FindActiveTokenAsync(string secretHash, CancellationToken cancellationToken);

    /// <summary>Tokens of a tenant (null: all tenants), oldest first.</summary>
    Task<IReadOnlyList<ApiToken>> ListTokensAsync(string? tenant, CancellationToken cancellationToken);

    /// <summary>Revokes a token (of <paramref name="tenant"/> when given). False when there is no such active token.</summary>
    Task<bool> RevokeTokenAsync(long id, string? tenant, CancellationToken cancellationToken);

    Task<int> CountActiveTokensAsync(CancellationToken cancellationToken);

    Task CreateAccessKeyAsync(long tokenId, string accessKeyId, string secretAccessKey, CancellationToken cancellationToken);

    /// <summary>The access key with its (active) token, or null when unknown or its token was revoked.</summary>
    Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);
}
