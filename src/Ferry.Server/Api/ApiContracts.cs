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
    IReadOnlyList<string> Warnings);

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
    DateTimeOffset UpdatedAt);

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

public sealed record CreateTenantRequest(string Name);

/// <param name="Roles">admin, provider, reviewer, consumer.</param>
public sealed record CreateTokenRequest(string Tenant, string Name, IReadOnlyList<string> Roles);

public sealed record TokenInfo(long Id, string Tenant, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record CreatedToken(string Token, TokenInfo Info);
