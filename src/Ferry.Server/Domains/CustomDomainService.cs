using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Domains;

/// <summary>
/// Custom domains: binds hosts to app stages (from <c>ferry domain add</c> or serverless.yml's <c>custom.customDomain</c>),
/// keeps the gateway's <see cref="HostRouteTable"/> in step with the store, and refuses a host another tenant holds or
/// that names this server itself (binding it would take the API away from everyone who reaches Ferry by that name).
/// </summary>
public sealed partial class CustomDomainService(
    ICustomDomainStore store, FerryServerOptions options, IServer server, ILogger<CustomDomainService> logger)
    : IHostRoutes
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private volatile Snapshot _snapshot = new([], HostRouteTable.Empty);

    /// <summary>Read by every request: one volatile read, no lock.</summary>
    public HostRouteTable Current => _snapshot.Table;

    /// <summary>Every binding as last loaded.</summary>
    public IReadOnlyList<CustomDomainRecord> All => _snapshot.Records;

    /// <summary>Loads every binding from the store (at start, and after app stages are removed).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The tenant's bindings; of one app stage when <paramref name="appStageId"/> is given.</summary>
    public IReadOnlyList<CustomDomainRecord> Of(string tenant, long? appStageId = null) =>
        [.. All.Where(d => d.Tenant == tenant && (appStageId is null || d.AppStageId == appStageId))];

    /// <summary>Binds a host (and base path) to an app stage of <paramref name="tenant"/>; a refusal says why.</summary>
    /// <param name="apiHost">The host the caller reached the API at; it may not be bound.</param>
    public async Task<DomainBindOutcome> BindHostAsync(string tenant, string host, string basePath, AppStage appStage, bool fromManifest,
        string? apiHost, CancellationToken cancellationToken)
    {
        if (FindRefusal(tenant, host, apiHost) is { } refusal)
        {
            return new DomainBindOutcome(null, refusal);
        }

        await _changes.WaitAsync(cancellationToken);
        try
        {
            var result = await store.BindCustomDomainAsync(tenant, host, basePath, appStage.Id, fromManifest, cancellationToken);
            if (result.HeldByOtherTenant is { } held)
            {
                return new DomainBindOutcome(null, Taken(host, held.Host));
            }

            await LoadAsync(cancellationToken);
            LogBound(host, basePath, appStage.Service, appStage.Stage, appStage.Region, tenant);
            return new DomainBindOutcome(result.Bound, null);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Removes the tenant's binding(s) of a host; returns how many.</summary>
    public async Task<int> UnbindHostAsync(string tenant, string host, string? basePath, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var removed = await store.UnbindCustomDomainAsync(tenant, host, basePath, cancellationToken);
            if (removed > 0)
            {
                await LoadAsync(cancellationToken);
                LogUnbound(host, removed, tenant);
            }

            return removed;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Before a deploy changes anything: every domain serverless.yml declares must be free for the tenant, else the
    /// deploy is refused (409) with each conflict at its file:line.
    /// </summary>
    public void CheckDeclared(string tenant, ServiceManifest manifest, string? apiHost)
    {
        var problems = manifest.CustomDomains
            .Select(d => (Domain: d, Refusal: FindRefusal(tenant, d.DomainName, apiHost)))
            .Where(p => p.Refusal is not null)
            .Select(p => Detail(p.Domain, p.Refusal!))
            .ToList();
        if (problems.Count > 0)
        {
            throw Conflict(problems);
        }
    }

    /// <summary>
    /// After a deploy: binds the declared domains to the app stage and drops those an earlier serverless.yml declared
    /// that this one does not (bindings made with <c>ferry domain add</c> stay). Returns the app stage's bindings.
    /// </summary>
    public async Task<IReadOnlyList<CustomDomainRecord>> SyncDeclaredAsync(string tenant, AppStage appStage, ServiceManifest manifest,
        string? apiHost, CancellationToken cancellationToken)
    {
        var declared = manifest.CustomDomains;
        foreach (var stale in Of(tenant, appStage.Id).Where(d => d.FromManifest && !declared.Any(x => x.DomainName == d.Host && x.BasePath == d.BasePath)))
        {
            await UnbindHostAsync(tenant, stale.Host, stale.BasePath, cancellationToken);
        }

        var problems = new List<ApiErrorDetail>();
        foreach (var domain in declared)
        {
            var outcome = await BindHostAsync(tenant, domain.DomainName, domain.BasePath, appStage, fromManifest: true, apiHost, cancellationToken);
            if (outcome.Refusal is { } refusal)
            {
                problems.Add(Detail(domain, refusal));
            }
        }

        if (problems.Count > 0)
        {
            throw Conflict(problems);
        }

        return Of(tenant, appStage.Id);
    }

    /// <summary>Where the app answers through a binding: the server's HTTPS port when it has one, else the request's scheme and port.</summary>
    public DomainInfo Describe(CustomDomainRecord record, HttpRequest request)
    {
        // The addresses Kestrel listens on (a configured port 0 is a real port there).
        IEnumerable<string> listening = server.Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } addresses ? addresses : options.Urls;
        var httpsPort = listening.Select(HttpsPortOf).FirstOrDefault(p => p is not null);
        var (scheme, port) = httpsPort is { } https
            ? (Uri.UriSchemeHttps, https)
            : (request.Scheme, request.Host.Port ?? (request.IsHttps ? 443 : 80));
        var defaultPort = scheme == Uri.UriSchemeHttps ? 443 : 80;
        var url = $"{scheme}://{record.Host}{(port == defaultPort ? "" : $":{port}")}{record.BasePath}/";
        return new DomainInfo(record.Host, record.BasePath == "" ? "/" : record.BasePath, record.Service, record.Stage, record.Region,
            record.FromManifest ? "manifest" : "cli", url, record.CreatedAt);
    }

    /// <summary>The port of an <c>https://host:port</c> listener URL (hosts such as <c>*</c> or <c>+</c> included); null for other schemes.</summary>
    private static int? HttpsPortOf(string url)
    {
        const string prefix = "https://";
        if (!url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var authority = url[prefix.Length..].Split('/')[0];
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']') && int.TryParse(authority[(colon + 1)..], out var port) ? port : 443;
    }

    private string? FindRefusal(string tenant, string host, string? apiHost)
    {
        if (IsServerName(host, apiHost))
        {
            return $"'{host}' is the address of this Ferry server (its API and console); it can't be bound to an app";
        }

        return All.FirstOrDefault(d => d.Tenant != tenant && DomainNameRules.Overlaps(d.Host, host)) is { } held ? Taken(host, held.Host) : null;
    }

    private bool IsServerName(string host, string? apiHost)
    {
        IEnumerable<string> names = options.Urls
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Host : "")
            .Append(apiHost ?? "")
            .Where(n => n.Length > 0)
            .Select(n => n.TrimEnd('.').ToLowerInvariant());
        return names.Any(n => DomainNameRules.Overlaps(n, host));
    }

    private static string Taken(string host, string heldHost) => heldHost == host
        ? $"The host '{host}' is already bound by another tenant; a host belongs to one tenant"
        : $"The host '{host}' overlaps '{heldHost}', which another tenant has bound; a host belongs to one tenant";

    private static ApiErrorDetail Detail(CustomDomainDeclaration domain, string refusal) =>
        new($"{domain.Key ?? "customDomain"}: {refusal}", domain.Location?.File, domain.Location?.Line, domain.Location?.Column);

    private static DeploymentException Conflict(IReadOnlyList<ApiErrorDetail> problems) =>
        new(StatusCodes.Status409Conflict, "domain_taken",
            problems.Count == 1 ? problems[0].Message : $"{problems.Count} custom domains can't be bound", problems);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var records = await store.ListCustomDomainsAsync(cancellationToken);
        var table = HostRouteTable.Build(records.Select(r => new Gateway.Routing.DomainBinding(r.Host, r.BasePath, r.Tenant, r.Service, r.Stage, r.Region)));
        _snapshot = new Snapshot(records, table);
    }

    private sealed record Snapshot(IReadOnlyList<CustomDomainRecord> Records, HostRouteTable Table);

    [LoggerMessage(Level = LogLevel.Information, Message = "Custom domain {Host}{BasePath} now serves {Service}/{Stage}@{Region} (tenant {Tenant})")]
    private partial void LogBound(string host, string basePath, string service, string stage, string region, string tenant);

    [LoggerMessage(Level = LogLevel.Information, Message = "Custom domain {Host}: {Count} binding(s) removed (tenant {Tenant})")]
    private partial void LogUnbound(string host, int count, string tenant);
}

/// <summary>Outcome of a bind: the binding, or why it was refused.</summary>
public sealed record DomainBindOutcome(CustomDomainRecord? Bound, string? Refusal);
