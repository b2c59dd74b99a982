using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Server.Api;

// The REST API's bodies. The CLI and the console use these same types; JSON is camelCase (ApiJson.Options).
//
//   GET    /healthz                                              200 "ok" once the server is ready
//   POST   /api/v1/deployments                                   multipart: "manifest" (ServiceManifest JSON), "archive" (zip) -> 201 DeploymentResult
//   GET    /api/v1/apps                                          -> AppSummary[]
//   GET    /api/v1/apps/{service}/{stage}?region=R               -> AppInfo
//   DELETE /api/v1/apps/{service}/{stage}?region=R               -> 204
//   POST   /api/v1/apps/{service}/{stage}/functions/{fn}/invoke?region=R   body: event JSON -> 200 with the function's
//          raw result as body; headers X-Ferry-Request-Id, and X-Ferry-Function-Error: Unhandled when the handler failed
//   GET    /api/v1/apps/{service}/{stage}/logs?region=R&function=F&after=ID&since=ISO8601&contains=TEXT&limit=N -> LogLine[]
//   GET    /api/v1/apps/{service}/{stage}/logs/stream?region=R&function=F&after=ID     application/x-ndjson, one LogLine
//          per line, live until the client disconnects; an empty line every 15 s keeps the connection alive
//
// Errors: any 4xx/5xx answer has an ApiError body. 400/404/409/413/422 are the caller's fault, 5xx the server's.
// Auth (once enabled): "Authorization: Bearer TOKEN".

public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

public sealed record ApiError(ApiErrorBody Error);

/// <param name="Code">Stable machine-readable code, e.g. "manifest_invalid", "not_found", "payload_too_large".</param>
/// <param name="Details">Per-item problems, e.g. one per manifest error with file/line/column.</param>
public sealed record ApiErrorBody(string Code, string Message, IReadOnlyList<ApiErrorDetail>? Details = null);

public sealed record ApiErrorDetail(string Message, string? File = null, int? Line = null, int? Column = null);

public sealed record DeploymentResult(
    string Service,
    string Stage,
    string Region,
    int Revision,
    string BaseUrl,
    IReadOnlyList<FunctionInfo> Functions,
    IReadOnlyList<RouteInfo> Routes,
    IReadOnlyList<string> Warnings)
{
    /// <summary>API keys of <c>provider.apiGateway.apiKeys</c> this deploy created (generated values are shown this once).</summary>
    public IReadOnlyList<CreatedApiKey>? ApiKeys { get; init; }

    /// <summary>
    /// The archive and manifest were exactly the live revision's: no revision was made, <see cref="Revision"/> is the
    /// live one, and its instances stay warm.
    /// </summary>
    public bool Unchanged { get; init; }

    /// <summary>The app stage's custom domains (serverless.yml's and <c>ferry domain add</c>'s); null when it has none.</summary>
    public IReadOnlyList<DomainInfo>? Domains { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the revision's archive; the CLI's deploy cache asks about it later.</summary>
    public string? PackageSha256 { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the revision's manifest as stored (API key values removed).</summary>
    public string? ManifestSha256 { get; init; }
}

/// <summary>
/// <c>POST /api/v1/deployments/unchanged</c>: "is this app stage still serving exactly this archive and manifest?" The
/// CLI asks it instead of packaging and uploading when nothing it read for the last deploy changed. The server answers
/// 200 with the same <see cref="DeploymentResult"/> an unchanged upload gets, or 409 <c>changed</c>.
/// </summary>
public sealed record UnchangedDeploymentQuery(string Service, string Stage, string Region, string PackageSha256, string ManifestSha256);

public sealed record FunctionInfo(
    string Name,
    string Runtime,
    string Kind,
    string? Handler,
    int MemorySize,
    int Timeout,
    int Instances);

/// <param name="Url">Full URL; path parameters are left as written, e.g. http://127.0.0.1:8080/hello/dev/users/{id}.</param>
public sealed record RouteInfo(string Method, string Path, string Function, string Url);

public sealed record AppSummary(
    string Service,
    string Stage,
    string Region,
    int? Revision,
    int FunctionCount,
    string BaseUrl,
    DateTimeOffset UpdatedAt);

public sealed record AppInfo(
    string Service,
    string Stage,
    string Region,
    int? Revision,
    string BaseUrl,
    IReadOnlyList<FunctionInfo> Functions,
    IReadOnlyList<RouteInfo> Routes,
    IReadOnlyList<RevisionInfo> Revisions,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ResourceInfo>? Resources = null);

/// <summary>A bucket or database of an app stage.</summary>
/// <param name="Kind">"bucket" or "database".</param>
/// <param name="Detail">For buckets the S3 endpoint (when running), for databases the engine.</param>
public sealed record ResourceInfo(string Kind, string Name, string Detail);

public sealed record RevisionInfo(int Number, string ArtifactSha256, DateTimeOffset CreatedAt, bool Active);

public sealed record LogLine(
    long Id,
    DateTimeOffset Time,
    string Function,
    string? RequestId,
    string Instance,
    string Stream,
    string Message);

// ----- access: tenants and tokens -----
//   GET  /api/v1/whoami                -> WhoAmI
//   GET  /api/v1/tenants               (admin) -> TenantInfo[]
//   POST /api/v1/tenants               (admin) CreateTenantRequest -> 201 TenantInfo
//   GET  /api/v1/tokens                (admin: all; others: own tenant) -> TokenInfo[]
//   POST /api/v1/tokens                (admin) CreateTokenRequest -> 201 CreatedToken (the secret is shown only here)
//   DELETE /api/v1/tokens/{id}         (admin) -> 204

public sealed record WhoAmI(string Tenant, IReadOnlyList<string> Roles, string TokenName);

public sealed record TenantInfo(string Name, DateTimeOffset CreatedAt);

/// <summary>What <c>DELETE /apps/{service}/{stage}</c> did with the app's data.</summary>
/// <param name="Deleted">Buckets and databases deleted (only with <c>deleteData=true</c>).</param>
/// <param name="Kept">Buckets and databases left in place: deploying the app again finds them as they were.</param>
public sealed record RemoveResult(IReadOnlyList<string> Deleted, IReadOnlyList<string> Kept);

public sealed record CreateTenantRequest(string Name);

/// <param name="Roles">admin, provider, reviewer, consumer.</param>
public sealed record CreateTokenRequest(string Tenant, string Name, IReadOnlyList<string> Roles);

public sealed record TokenInfo(long Id, string Tenant, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record CreatedToken(string Token, TokenInfo Info);

// ----- template center: hub side -----
//   POST /api/v1/signing-keys              (provider) RegisterKeyRequest -> 201 SigningKeyInfo
//   GET  /api/v1/signing-keys/{keyId}      (any) -> SigningKeyInfo
//   POST /api/v1/templates                 (provider) multipart: "package" (signed template package), "changelog" (text, optional)
//                                          -> 201 TemplateVersionInfo (pending); 200 when the identical version exists; 409 when it differs
//   GET  /api/v1/templates?search=TEXT     -> TemplateSummary[] (consumers: approved versions only)
//   GET  /api/v1/templates/{name}          -> TemplateInfo
//   GET  /api/v1/templates/{name}/versions/{version}/package   (consumer servers) -> application/zip (approved or deprecated only)
//   GET  /api/v1/reviews                   (reviewer) -> TemplateVersionInfo[] (pending)
//   GET  /api/v1/templates/{name}/versions/{version}/review    (reviewer; provider for own) -> ReviewInfo
//   POST /api/v1/templates/{name}/versions/{version}/approve|reject|deprecate   (reviewer) ReviewDecision -> TemplateVersionInfo
//
// ----- template center: consumer side -----
//   GET  /api/v1/hubs                      -> HubInfo[] ("local" is this server and always there)
//   POST /api/v1/hubs                      (admin) AddHubRequest -> 201 HubInfo
//   POST /api/v1/installs                  InstallRequest -> 201 InstallInfo
//   GET  /api/v1/installs                  -> InstallInfo[] with updateAvailable + changelog
//   POST /api/v1/installs/{service}/{stage}/upgrade?region=   UpgradeRequest -> UpgradeResult
//   POST /api/v1/installs/{service}/{stage}/rollback?region=  -> InstallInfo

public sealed record RegisterKeyRequest(string PublicKey);

public sealed record SigningKeyInfo(string KeyId, string Tenant, string PublicKey, DateTimeOffset CreatedAt);

/// <param name="Default">Null for secret parameters (never shown).</param>
public sealed record TemplateParameterInfo(
    string Name, string Type, string? Description, string? Default, bool Required,
    IReadOnlyList<string> AllowedValues, string? Pattern, decimal? Minimum, decimal? Maximum, bool Secret);

public sealed record TemplateVersionInfo(
    string Template,
    string Version,
    string Status,
    string Digest,
    string KeyId,
    string? Changelog,
    string Description,
    IReadOnlyList<TemplateParameterInfo> Parameters,
    IReadOnlyList<string> ClosedSourceFunctions,
    DateTimeOffset SubmittedAt,
    string? ReviewComment,
    DateTimeOffset? ReviewedAt);

public sealed record TemplateSummary(string Name, string Provider, string Description, string? LatestVersion, IReadOnlyList<string> Labels);

public sealed record TemplateInfo(
    string Name, string Provider, string Description, string? Readme, string? Author, string? License,
    IReadOnlyList<string> Labels, IReadOnlyList<TemplateVersionInfo> Versions);

/// <param name="PreviousVersion">The latest approved version before this one, which <see cref="Diff"/> compares against.</param>
/// <param name="Diff">Human-readable diff lines: "+ …", "- …", "~ …".</param>
/// <param name="ManifestJson">The resolved manifest as the reviewer sees it (parameters shown as ${param:NAME}).</param>
public sealed record ReviewInfo(TemplateVersionInfo Version, string? PreviousVersion, IReadOnlyList<string> Diff, string ManifestJson);

public sealed record ReviewDecision(string? Comment);

public sealed record HubInfo(string Name, string Url);

public sealed record AddHubRequest(string Name, string Url, string Token);

/// <param name="Version">Null: the newest approved version.</param>
/// <param name="Name">Service name of the installed app; null: the template's own service name.</param>
public sealed record InstallRequest(
    string Template, string? Version, string? Hub, string? Name, string? Stage, string? Region,
    IReadOnlyDictionary<string, string>? Parameters);

public sealed record UpgradeRequest(string? To, IReadOnlyDictionary<string, string>? Parameters);

public sealed record ChangelogEntry(string Version, string? Changelog);

/// <param name="Parameters">Parameter values with secrets masked.</param>
/// <param name="UpdateAvailable">The newest approved version when it is newer than the installed one.</param>
public sealed record InstallInfo(
    string Service, string Stage, string Region, string Hub, string Template, string Version, int? Revision, string BaseUrl,
    IReadOnlyDictionary<string, string> Parameters, string? UpdateAvailable, IReadOnlyList<ChangelogEntry> Changelog, DateTimeOffset UpdatedAt);

/// <param name="Outcome">"upgraded", or "rolled_back" when the new revision failed its health check or error budget.</param>
public sealed record UpgradeResult(string Outcome, string? Reason, string FromVersion, string ToVersion, InstallInfo Install);

// ----- AWS-style access keys (for the Lambda Invoke API with AWS SDKs) -----
//   POST /api/v1/access-keys   -> 201 CreatedAccessKey: acts as the calling token; the secret is shown only here

public sealed record CreatedAccessKey(string AccessKeyId, string SecretAccessKey);
