namespace Ferry.Gateway.Routing;

/// <summary>
/// Where a public request is headed: the deployed service, stage and region named by the URL prefix,
/// and the path the app itself sees.
/// </summary>
/// <param name="Service">The service name (first path segment).</param>
/// <param name="Stage">The stage name (second path segment, before any <c>@</c>).</param>
/// <param name="Region">The region after <c>@</c>, or <see cref="GatewayPath.DefaultRegion"/> when omitted.</param>
/// <param name="RemainingPath">
/// The path after the <c>/{service}/{stage}</c> prefix, always starting with <c>/</c> (an empty rest is <c>/</c>).
/// It is in URI-escaped form, as it would appear on the wire: an encoded slash stays <c>%2F</c> inside its
/// segment, non-ASCII characters are percent-encoded. <c>new PathString(RemainingPath)</c> round-trips it.
/// </param>
public sealed record GatewayAddress(string Service, string Stage, string Region, string RemainingPath)
{
    /// <summary>The public prefix of this address: <c>/{service}/{stage}</c> or <c>/{service}/{stage}@{region}</c>.</summary>
    public string BasePath => GatewayPath.BasePath(Service, Stage, Region);

    /// <summary>
    /// Set when the request came through a custom domain (see <see cref="HostRouteTable"/>): the base path the domain maps
    /// (<c>""</c> for the whole host); null for the <c>/{service}/{stage}</c> URL.
    /// </summary>
    public string? DomainBasePath { get; init; }

    /// <summary>The prefix the client's path had before <see cref="RemainingPath"/>: the domain's base path, else <see cref="BasePath"/>.</summary>
    public string PublicPrefix => DomainBasePath ?? BasePath;
}
