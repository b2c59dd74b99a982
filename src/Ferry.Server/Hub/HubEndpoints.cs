using Ferry.Hub;
using Ferry.Manifest;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ferry.Server.Hub;

/// <summary>The template center: providers publish signed versions, reviewers decide, consumers browse approved ones.</summary>
internal static class HubEndpoints
{
    private const int MaxChangelogBytes = 16 * 1024;

    public static void MapHubEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/signing-keys", RegisterKeyAsync).RequireAuthorization(AccessPolicies.Provider);
        api.MapGet("/signing-keys/{keyId}", async (string keyId, IHubStore hub, CancellationToken ct) =>
            await hub.FindSigningKeyAsync(keyId, ct) is { } key
                ? Results.Json(new SigningKeyInfo(key.KeyId, key.Tenant, key.PublicKey, key.CreatedAt), ApiJson.Options)
                : ApiResults.NotFound($"No signing key {keyId}"));

        api.MapPost("/templates", PublishAsync).RequireAuthorization(AccessPolicies.Provider);
        api.MapGet("/templates", ListAsync);
        api.MapGet("/templates/{name}", ShowAsync);
        api.MapGet("/templates/{name}/versions/{version}/package", DownloadAsync).RequireAuthorization(AccessPolicies.Installer);
        api.MapGet("/templates/{name}/versions/{version}/source", SourceAsync);
        api.MapGet("/reviews", async (IHubStore hub, CancellationToken ct) =>
            Results.Json((await hub.ListVersionsByStatusAsync(TemplateVersionStatus.Pending, ct)).Select(HubViews.Version).ToList(), ApiJson.Options))
            .RequireAuthorization(AccessPolicies.Reviewer);
        api.MapGet("/templates/{name}/versions/{version}/review", ReviewAsync);
        api.MapPost("/templates/{name}/versions/{version}/approve", (string name, string version, ReviewDecision? decision, HttpContext context, IHubStore hub, CancellationToken ct)
            => DecideAsync(name, version, TemplateVersionStatus.Approved, decision, context, hub, ct)).RequireAuthorization(AccessPolicies.Reviewer);
        api.MapPost("/templates/{name}/versions/{version}/reject", (string name, string version, ReviewDecision? decision, HttpContext context, IHubStore hub, CancellationToken ct)
            => DecideAsync(name, version, TemplateVersionStatus.Rejected, decision, context, hub, ct)).RequireAuthorization(AccessPolicies.Reviewer);
        api.MapPost("/templates/{name}/versions/{version}/deprecate", (string name, string version, ReviewDecision? decision, HttpContext context, IHubStore hub, CancellationToken ct)
            => DecideAsync(name, version, TemplateVersionStatus.Deprecated, decision, context, hub, ct)).RequireAuthorization(AccessPolicies.Reviewer);
    }

    private static async Task<IResult> RegisterKeyAsync(RegisterKeyRequest request, HttpContext context, IHubStore hub, CancellationToken ct)
    {
        TemplatePublicKey key;
        try
        {
            key = TemplatePublicKey.Parse(request.PublicKey ?? "");
        }
        catch (FormatException ex)
        {
            return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "invalid_key", $"Not a Ferry public key: {ex.Message}");
        }

        var tenant = context.GetCaller().Tenant;
        if (!await hub.AddSigningKeyAsync(key.KeyId, tenant, key.Export(), ct))
        {
            var existing = await hub.FindSigningKeyAsync(key.KeyId, ct);
            if (existing?.Tenant != tenant)
            {
                return ApiResults.Error(StatusCodes.Status409Conflict, "key_taken", $"The key {key.KeyId} is registered to another tenant");
            }
        }

        var stored = (await hub.FindSigningKeyAsync(key.KeyId, ct))!;
        return Results.Json(new SigningKeyInfo(stored.KeyId, stored.Tenant, stored.PublicKey, stored.CreatedAt), ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>A refused publish takes its uploaded package with it (unless a published version has the same bytes).</summary>
    private static async Task<IResult> PublishAsync(HttpContext context, IHubStore hub, IFerryStore store, CodeStore code, FerryServerOptions options, CancellationToken ct)
    {
        var uploads = new List<CodeStore.ArtifactHold>();
        try
        {
            return await PublishUploadAsync(context, hub, code, options, uploads, ct);
        }
        finally
        {
            foreach (var upload in uploads)
            {
                upload.Dispose();
                await code.DiscardIfUnusedAsync(upload.Sha256, store, CancellationToken.None);
            }
        }
    }

    private static async Task<IResult> PublishUploadAsync(HttpContext context, IHubStore hub, CodeStore code, FerryServerOptions options,
        List<CodeStore.ArtifactHold> uploads, CancellationToken ct)
    {
        var caller = context.GetCaller();
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = options.MaxArchiveBytes + MaxChangelogBytes + 64 * 1024;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return ApiResults.BadRequest("Expected multipart/form-data with a \"package\" part (and optionally \"changelog\")");
        }

        string? packageSha = null;
        string? changelog = null;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value : null;
                if (name == "package")
                {
                    var upload = await code.SaveAsync(section.Body, options.MaxArchiveBytes, ct);
                    uploads.Add(upload);
                    packageSha = upload.Sha256;
                }
                else if (name == "changelog")
                {
                    using var text = new StreamReader(section.Body);
                    var buffer = new char[MaxChangelogBytes + 1];
                    var read = await text.ReadBlockAsync(buffer, ct);
                    if (read > MaxChangelogBytes)
                    {
                        return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The changelog is longer than {MaxChangelogBytes / 1024} KiB");
                    }

                    changelog = new string(buffer, 0, read).Trim();
                }
            }
        }
        catch (Packaging.ArtifactTooLargeException ex)
        {
            return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large", ex.Message);
        }
        catch (ArtifactRemovedException ex)
        {
            return ApiResults.Error(StatusCodes.Status409Conflict, "upload_conflict", ex.Message);
        }

        if (packageSha is null)
        {
            return ApiResults.BadRequest("The \"package\" part is missing");
        }

        await using var stream = code.Artifacts.OpenRead(packageSha);
        TemplatePackage package;
        try
        {
            package = await TemplatePackageReader.OpenAsync(stream, ct);
        }
        catch (TemplatePackageException ex)
        {
            return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "package_invalid", $"The template package was refused: {ex.Message}");
        }

        await using (package)
        {
            if (package.KeyId is not { } keyId || await hub.FindSigningKeyAsync(keyId, ct) is not { } key)
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "unknown_key",
                    $"The package is signed with key {package.KeyId ?? "(none)"}, which is not registered; run `ferry template key register` first");
            }

            if (key.Tenant != caller.Tenant)
            {
                return ApiResults.Error(StatusCodes.Status403Forbidden, "forbidden", $"The key {keyId} belongs to another tenant");
            }

            var verification = package.VerifySignature(new TrustedKeys([TemplatePublicKey.Parse(key.PublicKey)]));
            if (verification.Failure is not null)
            {
                return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "signature_invalid", $"The signature does not verify: {verification.Message}");
            }

            var definition = package.Definition;
            var template = await hub.GetOrCreateTemplateAsync(definition.Name, caller.Tenant, ct);
            if (template.ProviderTenant != caller.Tenant)
            {
                return ApiResults.Error(StatusCodes.Status409Conflict, "template_name_taken", $"The template name '{definition.Name}' belongs to another provider");
            }

            var version = definition.Version.ToString();
            var added = await hub.AddVersionAsync(template.Id, version, package.PackageDigest, packageSha, keyId,
                HubViews.Serialize(definition), string.IsNullOrEmpty(changelog) ? null : changelog, caller.Tenant, ct);
            if (added is null)
            {
                var existing = (await hub.FindVersionAsync(definition.Name, version, ct))!;
                return existing.Digest == package.PackageDigest
                    ? Results.Json(HubViews.Version(existing), ApiJson.Options)
                    : ApiResults.Error(StatusCodes.Status409Conflict, "version_exists",
                        $"{definition.Name}@{version} was already published with different content; published versions are immutable, so publish a new version");
            }

            return Results.Json(HubViews.Version(added), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }
    }

    private static async Task<IResult> ListAsync(string? search, HttpContext context, IHubStore hub, CancellationToken ct)
    {
        var caller = context.GetCaller();
        var summaries = new List<TemplateSummary>();
        foreach (var template in await hub.ListTemplatesAsync(ct))
        {
            var versions = (await hub.ListVersionsAsync(template.Name, ct)).Where(v => HubViews.CanSee(caller, template, v)).ToList();
            if (versions.Count == 0)
            {
                continue;
            }

            var latest = HubViews.LatestApproved(versions);
            var definition = HubViews.Definition(latest ?? versions[^1]);
            if (!string.IsNullOrWhiteSpace(search)
                && !template.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
                && !definition.Description.Contains(search, StringComparison.OrdinalIgnoreCase)
                && !definition.Labels.Any(l => l.Contains(search, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            summaries.Add(new TemplateSummary(template.Name, template.ProviderTenant, definition.Description, latest?.Version, definition.Labels));
        }

        return Results.Json(summaries, ApiJson.Options);
    }

    private static async Task<IResult> ShowAsync(string name, HttpContext context, IHubStore hub, CancellationToken ct)
    {
        var caller = context.GetCaller();
        if (await hub.FindTemplateAsync(name, ct) is not { } template)
        {
            return ApiResults.NotFound($"No template '{name}'");
        }

        var versions = (await hub.ListVersionsAsync(name, ct)).Where(v => HubViews.CanSee(caller, template, v)).ToList();
        if (versions.Count == 0)
        {
            return ApiResults.NotFound($"No template '{name}'");
        }

        var definition = HubViews.Definition(HubViews.LatestApproved(versions) ?? versions[^1]);
        return Results.Json(new TemplateInfo(template.Name, template.ProviderTenant, definition.Description, definition.Readme, definition.Author,
            definition.License, definition.Labels, [.. versions.Select(HubViews.Version)]), ApiJson.Options);
    }

    /// <summary>
    /// The signed package, for Ferry servers installing it (installer tokens only: packages may hold closed-source
    /// binaries). Only approved (or deprecated) versions.
    /// </summary>
    private static async Task<IResult> DownloadAsync(string name, string version, IHubStore hub, CodeStore code, CancellationToken ct)
    {
        var record = await hub.FindVersionAsync(name, version, ct);
        if (record is null || record.Status is not (TemplateVersionStatus.Approved or TemplateVersionStatus.Deprecated))
        {
            return ApiResults.NotFound($"No approved version {name}@{version}");
        }

        return Results.Stream(code.Artifacts.OpenRead(record.PackageSha256), "application/zip");
    }

    /// <summary>
    /// The app folder of an approved (or deprecated) version as a zip (the package's app.zip), for <c>ferry init
    /// --template</c>: any signed-in user who can see the template. A version with closed-source functions is never
    /// served as source (403 <c>closed_source</c>): its compiled code is only for installing.
    /// </summary>
    private static async Task<IResult> SourceAsync(string name, string version, HttpContext context, IHubStore hub, CodeStore code, CancellationToken ct)
    {
        var caller = context.GetCaller();
        var template = await hub.FindTemplateAsync(name, ct);
        var record = await hub.FindVersionAsync(name, version, ct);
        if (template is null || record is null || record.Status is not (TemplateVersionStatus.Approved or TemplateVersionStatus.Deprecated)
            || !HubViews.CanSee(caller, template, record))
        {
            return ApiResults.NotFound($"No approved version {name}@{version}");
        }

        var closed = HubViews.Definition(record).ClosedSource.Select(c => c.Function).ToList();
        if (closed.Count > 0)
        {
            return ApiResults.Error(StatusCodes.Status403Forbidden, "closed_source",
                $"{name}@{version} has closed-source functions ({string.Join(", ", closed)}), so its source is not available; " +
                "install it with 'ferry app install' instead");
        }

        TemplatePackage package;
        await using (var stored = code.Artifacts.OpenRead(record.PackageSha256))
        {
            package = await TemplatePackageReader.OpenAsync(stored, ct);
        }

        context.Response.RegisterForDisposeAsync(package);
        return Results.Stream(package.OpenAppArchive(), "application/zip", $"{name}-{version}.zip");
    }

    private static async Task<IResult> ReviewAsync(string name, string version, HttpContext context, IHubStore hub, CodeStore code, CancellationToken ct)
    {
        var caller = context.GetCaller();
        var template = await hub.FindTemplateAsync(name, ct);
        var record = await hub.FindVersionAsync(name, version, ct);
        if (template is null || record is null || !(caller.HasAny([Role.Reviewer]) || (caller.Tenant == template.ProviderTenant && caller.HasAny([Role.Provider]))))
        {
            return ApiResults.NotFound($"No version {name}@{version} to review");
        }

        var next = await SnapshotAsync(code, record, ct);
        var previousRecord = HubViews.LatestApproved((await hub.ListVersionsAsync(name, ct))
            .Where(v => v.Id != record.Id && SemanticVersion.Parse(v.Version) < SemanticVersion.Parse(record.Version)));
        var previous = previousRecord is null ? null : await SnapshotAsync(code, previousRecord, ct);
        var diff = TemplateDiff.Compare(previous, next);
        return Results.Json(new ReviewInfo(HubViews.Version(record), previousRecord?.Version, diff.Render(),
            ServiceManifestJson.Serialize(next.Manifest)), ApiJson.Options);
    }

    private static async Task<TemplateSnapshot> SnapshotAsync(CodeStore code, TemplateVersionRecord record, CancellationToken ct)
    {
        await using var stream = code.Artifacts.OpenRead(record.PackageSha256);
        await using var package = await TemplatePackageReader.OpenAsync(stream, ct);
        return new TemplateSnapshot(package.Definition, package.LoadReviewManifest().Manifest);
    }

    private static async Task<IResult> DecideAsync(string name, string version, TemplateVersionStatus status, ReviewDecision? decision,
        HttpContext context, IHubStore hub, CancellationToken ct)
    {
        var record = await hub.FindVersionAsync(name, version, ct);
        if (record is null)
        {
            return ApiResults.NotFound($"No version {name}@{version}");
        }

        var comment = decision?.Comment?.Trim();
        if (status == TemplateVersionStatus.Rejected && string.IsNullOrEmpty(comment))
        {
            return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "comment_required", "A rejection needs a comment telling the provider what to change");
        }

        if (comment is { Length: > 4000 })
        {
            return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "comment_too_long", "A review comment is at most 4000 characters");
        }

        var allowed = status switch
        {
            TemplateVersionStatus.Approved or TemplateVersionStatus.Rejected => record.Status == TemplateVersionStatus.Pending,
            TemplateVersionStatus.Deprecated => record.Status == TemplateVersionStatus.Approved,
            _ => false,
        };
        if (!allowed)
        {
            return ApiResults.Error(StatusCodes.Status409Conflict, "invalid_transition",
                $"{name}@{version} is {HubViews.Status(record.Status)}; it cannot become {HubViews.Status(status)}");
        }

        await hub.SetVersionStatusAsync(record.Id, status, context.GetCaller().Tenant, comment, ct);
        return Results.Json(HubViews.Version((await hub.FindVersionAsync(name, version, ct))!), ApiJson.Options);
    }
}
