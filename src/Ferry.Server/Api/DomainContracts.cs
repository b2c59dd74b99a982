namespace Ferry.Server.Api;

// Custom domains of the caller's tenant (policy "domains": admin, provider or consumer):
//   GET    /api/v1/domains                                   -> DomainInfo[] (the tenant's bindings)
//   POST   /api/v1/domains                                   BindDomainRequest -> 201 DomainInfo; 404 when the app stage is not the
//          tenant's; 409 "domain_taken" when another tenant holds the host (or an overlapping wildcard) or it is this server's own name
//   DELETE /api/v1/domains/{host}?basePath=/v1               -> 204 (every base path of the host without basePath); 404 when not bound

/// <param name="Host">A lowercase DNS name or <c>*.parent</c>; at most 253 characters.</param>
/// <param name="BasePath">Where on the host the app is mounted: null, "" or "/" for the whole host, else e.g. "/v1".</param>
public sealed record BindDomainRequest(string Host, string Service, string Stage, string? Region = null, string? BasePath = null);

/// <param name="Source">"cli" (ferry domain add) or "manifest" (custom.customDomain in serverless.yml: deploys add and drop it).</param>
/// <param name="Url">Where the app answers, e.g. https://api.example.com/ (with the server's port when it is not the default).</param>
public sealed record DomainInfo(
    string Host, string BasePath, string Service, string Stage, string Region, string Source, string Url, DateTimeOffset CreatedAt);
