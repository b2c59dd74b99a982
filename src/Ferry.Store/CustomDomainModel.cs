namespace Ferry.Store;

/// <summary>
/// A custom domain bound to an app stage: requests whose Host is <paramref name="Host"/> (and whose path starts with
/// <paramref name="BasePath"/>) go to the app stage at its own paths. A host belongs to one tenant, whatever its base paths.
/// </summary>
/// <param name="Host">Lowercase DNS name, or <c>*.parent</c> (see <c>Ferry.Manifest.DomainNameRules</c>).</param>
/// <param name="BasePath"><c>""</c> for the whole host, else <c>/a/b</c>.</param>
/// <param name="FromManifest">Declared in serverless.yml (<c>custom.customDomain(s)</c>): deploys add and drop it; else bound by <c>ferry domain add</c>.</param>
public sealed record CustomDomainRecord(
    string Host,
    string BasePath,
    string Tenant,
    long AppStageId,
    string Service,
    string Stage,
    string Region,
    bool FromManifest,
    DateTimeOffset CreatedAt);

/// <summary>Outcome of a bind: the binding, or the other tenant's binding that holds the host (or an overlapping one).</summary>
public sealed record CustomDomainBindResult(CustomDomainRecord? Bound, CustomDomainRecord? HeldByOtherTenant);

/// <summary>Custom domains of app stages; they go when their app stage is removed.</summary>
public interface ICustomDomainStore
{
    /// <summary>Every binding, by host and base path.</summary>
    Task<IReadOnlyList<CustomDomainRecord>> ListCustomDomainsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: unless another tenant holds <paramref name="host"/> or a host overlapping it (a wildcard
    /// above it, or a name below a wildcard), binds host and base path to the app stage, replacing the tenant's own
    /// binding of the same host and base path.
    /// </summary>
    Task<CustomDomainBindResult> BindCustomDomainAsync(
        string tenant, string host, string basePath, long appStageId, bool fromManifest, CancellationToken cancellationToken);

    /// <summary>Deletes the tenant's bindings of the host (only the one with <paramref name="basePath"/> when given); returns how many.</summary>
    Task<int> UnbindCustomDomainAsync(string tenant, string host, string? basePath, CancellationToken cancellationToken);
}
