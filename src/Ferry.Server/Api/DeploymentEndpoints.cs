using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ferry.Server.Api;

/// <summary>
/// <c>POST /api/v1/deployments</c>: multipart with a "manifest" part, then an "archive" part streamed straight to disk;
/// <c>POST /api/v1/deployments/unchanged</c>: the CLI's deploy cache asking whether the live revision is still its last deploy.
/// </summary>
internal static class DeploymentEndpoints
{
    private const int MaxManifestBytes = 1024 * 1024;

    public static void MapDeploymentEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/deployments", DeployAsync);
        api.MapPost("/deployments/unchanged", KeepIfUnchangedAsync);
    }

    private static async Task<IResult> DeployAsync(HttpContext context, DeploymentService deployments, ApiKeys.ApiKeyService apiKeys,
        Domains.CustomDomainService domains, FerryServerOptions options, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var limit = options.MaxArchiveBytes + MaxManifestBytes + 64 * 1024;
        if (request.ContentLength > limit)
        {
            return TooLarge(options);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return ApiResults.BadRequest("Expected multipart/form-data with a \"manifest\" part and an \"archive\" part");
        }

        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            (Ferry.Manifest.ServiceManifest Manifest, string Json)? manifest = null;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                    : null;
                switch (name)
                {
                    case "manifest":
                        var json = await ReadTextAsync(section.Body, MaxManifestBytes, cancellationToken);
                        if (json is null)
                        {
                            return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The manifest part is larger than {MaxManifestBytes / 1024} KiB");
                        }

                        manifest = DeploymentService.ReadManifest(json);
                        break;
                    case "archive":
                        if (manifest is null)
                        {
                            return ApiResults.BadRequest("The \"manifest\" part must come before the \"archive\" part");
                        }

                        var tenant = TenantContext.Of(context);
                        domains.CheckDeclared(tenant, manifest.Value.Manifest, request.Host.Host);
                        var outcome = await deployments.DeployAsync(
                            tenant, manifest.Value.Manifest, manifest.Value.Json, section.Body, keepUnchanged: !Forced(request), cancellationToken);
                        var result = await ResultAsync(context, tenant, outcome, manifest.Value.Manifest, apiKeys, domains, cancellationToken);
                        return Results.Json(result, ApiJson.Options, statusCode: outcome.Unchanged ? StatusCodes.Status200OK : StatusCodes.Status201Created);
                    default:
                        return ApiResults.BadRequest($"Unexpected multipart part '{name}'; expected \"manifest\" and \"archive\"");
                }
            }

            return ApiResults.BadRequest(manifest is null ? "The \"manifest\" part is missing" : "The \"archive\" part is missing");
        }
        catch (DeploymentException ex)
        {
            return ApiResults.Error(ex.StatusCode, ex.Code, ex.Message, ex.Details);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(options);
        }
        catch (InvalidDataException ex)
        {
            return ApiResults.BadRequest("Malformed multipart body: " + ex.Message);
        }
    }

    /// <summary>
    /// <c>POST /deployments/unchanged</c> (<see cref="UnchangedDeploymentQuery"/>): 200 with the result an unchanged
    /// upload gets when the live revision is exactly that archive and manifest, else 409 <c>changed</c>.
    /// </summary>
    private static async Task<IResult> KeepIfUnchangedAsync(HttpContext context, UnchangedDeploymentQuery? query, DeploymentService deployments,
        ApiKeys.ApiKeyService apiKeys, Domains.CustomDomainService domains, CancellationToken cancellationToken)
    {
        if (query is null || string.IsNullOrEmpty(query.Service) || string.IsNullOrEmpty(query.Stage) || string.IsNullOrEmpty(query.Region))
        {
            return ApiResults.BadRequest("Expected a JSON body with service, stage, region, packageSha256 and manifestSha256");
        }

        if (!IsSha256(query.PackageSha256) || !IsSha256(query.ManifestSha256))
        {
            return ApiResults.BadRequest("packageSha256 and manifestSha256 must be SHA-256 digests in lowercase hex (64 characters)");
        }

        try
        {
            var tenant = TenantContext.Of(context);
            var outcome = await deployments.KeepIfUnchangedAsync(tenant, query.Service, query.Stage, query.Region, query.PackageSha256, query.ManifestSha256);
            // A declared API key removed since (ferry apikey revoke) is made again only by a full deploy, which knows its value.
            if (outcome is null || !await HasDeclaredKeysAsync(outcome, apiKeys, cancellationToken))
            {
                return ApiResults.Error(StatusCodes.Status409Conflict, "changed",
                    $"{query.Service} (stage {query.Stage}, region {query.Region}) no longer serves that package and manifest");
            }

            domains.CheckDeclared(tenant, outcome.Manifest, context.Request.Host.Host);
            var result = await ResultAsync(context, tenant, outcome, outcome.Manifest, apiKeys, domains, cancellationToken);
            return Results.Json(result, ApiJson.Options, statusCode: StatusCodes.Status200OK);
        }
        catch (DeploymentException ex)
        {
            return ApiResults.Error(ex.StatusCode, ex.Code, ex.Message, ex.Details);
        }
    }

    private static async Task<bool> HasDeclaredKeysAsync(DeployOutcome outcome, ApiKeys.ApiKeyService apiKeys, CancellationToken cancellationToken)
    {
        var declared = outcome.Manifest.Provider.ApiKeys;
        if (declared.Count == 0)
        {
            return true;
        }

        var existing = (await apiKeys.ListAsync(outcome.AppStage.Id, cancellationToken)).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        return declared.All(k => existing.Contains(k.Name));
    }

    private static bool IsSha256(string? text) => text is { Length: 64 } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>What a deploy answers: the served revision's functions, routes, API keys it created and custom domains.</summary>
    private static async Task<DeploymentResult> ResultAsync(HttpContext context, string tenant, DeployOutcome outcome,
        Ferry.Manifest.ServiceManifest declaredManifest, ApiKeys.ApiKeyService apiKeys, Domains.CustomDomainService domains, CancellationToken cancellationToken)
    {
        var (appStage, revision, deployed, unchanged) = outcome;
        var request = context.Request;
        var baseUrl = AppViews.AppBaseUrl(ApiResults.BaseUrl(request), appStage.Service, appStage.Stage, appStage.Region);
        var functions = deployed.Functions.Select(f => new FunctionInfo(
            f.Name, f.Runtime, f.Kind == Ferry.Manifest.FunctionKind.Web ? "web" : "event", f.Handler, f.MemorySize, f.Timeout, 0)).ToList();
        var createdKeys = await apiKeys.EnsureDeclaredAsync(appStage.Id, declaredManifest.Provider.ApiKeys, cancellationToken);
        var bound = await domains.SyncDeclaredAsync(tenant, appStage, declaredManifest, request.Host.Host, cancellationToken);
        return new DeploymentResult(appStage.Service, appStage.Stage, appStage.Region, revision.Number, baseUrl,
            functions, AppViews.Routes(deployed, baseUrl), [])
        {
            ApiKeys = createdKeys.Count == 0 ? null : createdKeys,
            Unchanged = unchanged,
            Domains = bound.Count == 0 ? null : [.. bound.Select(d => domains.Describe(d, request))],
            PackageSha256 = revision.ArtifactSha256,
            ManifestSha256 = DeploymentService.ManifestSha256(revision.ManifestJson),
        };
    }

    /// <summary><c>?force=true</c>: a new revision even when nothing changed (<c>ferry deploy --force</c>).</summary>
    private static bool Forced(HttpRequest request)
        => request.Query.TryGetValue("force", out var force) && string.Equals(force.ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static IResult TooLarge(FerryServerOptions options)
        => ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
            $"The upload is larger than the server's limit of {options.MaxArchiveBytes / (1024 * 1024)} MiB");

    private static async Task<string?> ReadTextAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
