using Ferry.Manifest;

namespace Ferry.Store;

/// <summary>What both stores' custom domain methods share: the columns read, and which existing hosts a new one overlaps.</summary>
internal static class CustomDomainQueries
{
    public const string Columns =
        "d.host, d.base_path, d.tenant, d.app_stage_id, s.service, s.stage, s.region, d.from_manifest, d.created_at";

    public const string From = "custom_domains d JOIN app_stages s ON s.id = d.app_stage_id";

    /// <summary>
    /// LIKE patterns that find every stored host that may overlap <paramref name="host"/> (a superset: the caller
    /// filters with <see cref="DomainNameRules.Overlaps"/>): the host, the wildcard above it, and for a wildcard every
    /// name below its parent.
    /// </summary>
    public static (string Host, string Wildcard, string Below) Candidates(string host)
    {
        var parent = DomainNameRules.IsWildcard(host) ? host[DomainNameRules.WildcardPrefix.Length..] : DomainNameRules.ParentOf(host);
        return (host, DomainNameRules.WildcardPrefix + parent, DomainNameRules.IsWildcard(host) ? "%." + parent : host);
    }
}
