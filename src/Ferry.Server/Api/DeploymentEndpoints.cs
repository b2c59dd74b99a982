using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ferry.Server.Api;

/// <summary><c>POST /api/v1/deployments</c>: multipart with a "manifest" part, then an "archive" part streamed straight to disk.</summary>
internal static class DeploymentEndpoints
{
    private const int MaxManifestBytes = 1024 * 1024;

    public static void MapDeploymentEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/deployments", DeployAsync);
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
                        var (appStage, revision, deployed, unchanged) = await deployments.DeployAsync(
                            tenant, manifest.Value.Manifest, manifest.Value.Json, section.Body, keepUnchanged: !Forced(request), cancellationToken);
                        var baseUrl = AppViews.AppBaseUrl(ApiResults.BaseUrl(request), appStage.Service, appStage.Stage, appStage.Region);
                        var functions = deployed.Functions.Select(f => new FunctionInfo(
                            f.Name, f.Runtime, f.Kind == Ferry.Manifest.FunctionKind.Web ? "web" : "event", f.Handler, f.MemorySize, f.Timeout, 0)).ToList();
                        var createdKeys = await apiKeys.EnsureDeclaredAsync(appStage.Id, manifest.Value.Manifest.Provider.ApiKeys, cancellationToken);
                        var bound = await domains.SyncDeclaredAsync(tenant, appStage, manifest.Value.Manifest, request.Host.Host, cancellationToken);
                        var result = new DeploymentResult(appStage.Service, appStage.Stage, appStage.Region, revision.Number, baseUrl,
                            functions, AppViews.Routes(deployed, baseUrl), [])
                        {
                            ApiKeys = createdKeys.Count == 0 ? null : createdKeys,
                            Unchanged = unchanged,
                            Domains = bound.Count == 0 ? null : [.. bound.Select(d => domains.Describe(d, request))],
                        };
                        return Results.Json(result, ApiJson.Options, statusCode: unchanged ? StatusCodes.Status200OK : StatusCodes.Status201Created);
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
