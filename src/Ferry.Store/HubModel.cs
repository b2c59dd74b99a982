namespace Ferry.Store;

public enum TemplateVersionStatus
{
    /// <summary>Submitted, waiting for a reviewer; invisible to consumers.</summary>
    Pending,
    Approved,
    Rejected,
    /// <summary>Hidden from new installs; installs of it can still upgrade away from it.</summary>
    Deprecated,
}

/// <summary>A template name, owned by the provider tenant that first published it.</summary>
public sealed record TemplateRecord(long Id, string Name, string ProviderTenant, DateTimeOffset CreatedAt);

/// <summary>One published (immutable) version of a template and its review state.</summary>
/// <param name="Digest">Content digest of the signed package: the same version can never be published with other content.</param>
/// <param name="PackageSha256">The stored package file (content-addressed artifact).</param>
/// <param name="DefinitionJson">The template definition (name, version, description, parameters…) as JSON.</param>
public sealed record TemplateVersionRecord(
    long Id,
    string Template,
    string Version,
    string Digest,
    string PackageSha256,
    string KeyId,
    TemplateVersionStatus Status,
    string DefinitionJson,
    string? Changelog,
    string SubmittedBy,
    DateTimeOffset SubmittedAt,
    string? ReviewedBy,
    string? ReviewComment,
    DateTimeOffset? ReviewedAt);

/// <summary>A provider's ed25519 public key, registered with the hub.</summary>
public sealed record SigningKeyRecord(string KeyId, string Tenant, string PublicKey, DateTimeOffset CreatedAt);

/// <summary>An app stage installed from a template (consumer side).</summary>
/// <param name="ParametersJson">Resolved parameter values (secrets included: needed to redeploy; never returned by the API).</param>
public sealed record InstallRecord(
    long Id,
    string Tenant,
    long AppStageId,
    string Hub,
    string Template,
    string Version,
    string ParametersJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A remote template center a tenant installs from. The token is kept to call it (stored as given).</summary>
public sealed record HubRecord(string Tenant, string Name, string Url, string Token, DateTimeOffset CreatedAt)
{
    /// <summary>
    /// An admin added it, so it may be on a loopback, link-local or private address (hubs consumers add may not).
    /// </summary>
    public bool PrivateAddressesAllowed { get; init; }
}

/// <summary>Templates, versions, reviews, signing keys and installs.</summary>
public interface IHubStore
{
    /// <summary>The template of that name, created for <paramref name="providerTenant"/> when new.</summary>
    Task<TemplateRecord> GetOrCreateTemplateAsync(string name, string providerTenant, CancellationToken cancellationToken);

    Task<TemplateRecord?> FindTemplateAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<TemplateRecord>> ListTemplatesAsync(CancellationToken cancellationToken);

    /// <summary>Adds a pending version; null when that version already exists (the caller compares digests).</summary>
    Task<TemplateVersionRecord?> AddVersionAsync(long templateId, string version, string digest, string packageSha256, string keyId,
        string definitionJson, string? changelog, string submittedBy, CancellationToken cancellationToken);

    Task<TemplateVersionRecord?> FindVersionAsync(string template, string version, CancellationToken cancellationToken);

    /// <summary>Versions of a template, in submission order.</summary>
    Task<IReadOnlyList<TemplateVersionRecord>> ListVersionsAsync(string template, CancellationToken cancellationToken);

    Task<IReadOnlyList<TemplateVersionRecord>> ListVersionsByStatusAsync(TemplateVersionStatus status, CancellationToken cancellationToken);

    /// <summary>Changes a version's review state; false when the version does not exist.</summary>
    Task<bool> SetVersionStatusAsync(long versionId, TemplateVersionStatus status, string reviewer, string? comment, CancellationToken cancellationToken);

    /// <summary>Registers a public key for a tenant; false when the key id is already registered (to any tenant).</summary>
    Task<bool> AddSigningKeyAsync(string keyId, string tenant, string publicKey, CancellationToken cancellationToken);

    Task<SigningKeyRecord?> FindSigningKeyAsync(string keyId, CancellationToken cancellationToken);

    Task<IReadOnlyList<SigningKeyRecord>> ListSigningKeysAsync(string? tenant, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the install record of an app stage.</summary>
    Task<InstallRecord> SaveInstallAsync(string tenant, long appStageId, string hub, string template, string version, string parametersJson, CancellationToken cancellationToken);

    Task<InstallRecord?> FindInstallAsync(long appStageId, CancellationToken cancellationToken);

    Task<IReadOnlyList<InstallRecord>> ListInstallsAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Remembers which template version and parameters a revision was deployed from.</summary>
    Task RecordInstallRevisionAsync(long revisionId, string version, string parametersJson, CancellationToken cancellationToken);

    /// <summary>(version, parameters JSON) of a revision deployed from a template, or null.</summary>
    Task<(string Version, string ParametersJson)?> FindInstallRevisionAsync(long revisionId, CancellationToken cancellationToken);

    /// <summary>Adds or replaces a hub of a tenant (on public addresses only).</summary>
    Task SaveHubAsync(string tenant, string name, string url, string token, CancellationToken cancellationToken)
        => SaveHubAsync(tenant, name, url, token, privateAddressesAllowed: false, cancellationToken);

    /// <summary>Adds or replaces a hub of a tenant.</summary>
    /// <param name="privateAddressesAllowed">It may be on loopback, link-local or private addresses (an admin added it).</param>
    Task SaveHubAsync(string tenant, string name, string url, string token, bool privateAddressesAllowed, CancellationToken cancellationToken);

    Task<IReadOnlyList<HubRecord>> ListHubsAsync(string tenant, CancellationToken cancellationToken);
}
