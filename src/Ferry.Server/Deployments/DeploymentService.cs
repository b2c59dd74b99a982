using System.Collections.Concurrent;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Runtime.Images;
using Ferry.Server.Api;
using Ferry.Server.Resources;
using Ferry.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Deployments;

/// <summary>
/// Turns an uploaded manifest + archive into a served revision: validate, store the archive, extract it, check
/// that every handler exists, then record the revision and activate it in one step. Any failure before the store
/// transaction leaves the app exactly as it was.
/// </summary>
public sealed partial class DeploymentService(
    IFerryStore store,
    CodeStore code,
    ImageStore images,
    LiveApps liveApps,
    AppResources resources,
    Quotas.DeploymentQuotaCheck quotaCheck,
    FerryServerOptions options,
    ILogger<DeploymentService> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _appLocks = new(StringComparer.Ordinal);

    private ArchiveLimits Limits => new() { MaxTotalBytes = options.MaxArchiveBytes * 8 };

    /// <summary>Parses and validates the manifest part of an upload.</summary>
    public static (ServiceManifest Manifest, string Json) ReadManifest(string json)
    {
        ServiceManifest manifest;
        try
        {
            manifest = ServiceManifestJson.Deserialize(json);
        }
        catch (ManifestException ex)
        {
            throw Invalid(ex.Errors);
        }

        var errors = ServiceManifestValidator.Validate(manifest);
        if (errors.Count > 0)
        {
            throw Invalid(errors);
        }

        try
        {
            // The gateway's own rules (e.g. two routes that match exactly the same requests) are checked before anything is stored.
            Gateway.Routing.RouteTable.Build(manifest.Functions.SelectMany(f => f.Routes.Select(r => (f.Name, r))));
        }
        catch (ArgumentException ex)
        {
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "routes_invalid", ex.Message);
        }

        // API keys are stored hashed when they are created; the stored manifest keeps only their names.
        var stored = manifest.Provider.ApiKeys.Any(k => k.Value is not null)
            ? manifest with { Provider = manifest.Provider with { ApiKeys = [.. manifest.Provider.ApiKeys.Select(k => k with { Value = null })] } }
            : manifest;
        return (manifest, ServiceManifestJson.Serialize(stored));
    }

    public async Task<(AppStage AppStage, Revision Revision, ServiceManifest Manifest)> DeployAsync(
        string tenant, ServiceManifest manifest, string manifestJson, Stream archive, CancellationToken cancellationToken)
    {
        var outcome = await DeployAsync(tenant, manifest, manifestJson, archive, keepUnchanged: false, cancellationToken);
        return (outcome.AppStage, outcome.Revision, outcome.Manifest);
    }

    /// <param name="keepUnchanged">
    /// When the upload's archive and manifest are exactly the live revision's, record nothing and keep serving it: no
    /// new revision, so no instance goes cold (<see cref="DeployOutcome.Unchanged"/>).
    /// </param>
    public async Task<DeployOutcome> DeployAsync(
        string tenant, ServiceManifest manifest, string manifestJson, Stream archive, bool keepUnchanged, CancellationToken cancellationToken)
    {
        quotaCheck.Check(tenant, manifest);
        return await WithUploadAsync(manifest, archive, codeDirectory => UnderAppLockAsync(tenant, manifest, async () =>
        {
            var provider = manifest.Provider;
            if (keepUnchanged && LiveIfUnchanged(manifest.Service, provider.Stage, provider.Region, codeDirectory.Sha256, ManifestSha256(manifestJson)) is { } live)
            {
                LogUnchanged(manifest.Service, provider.Stage, provider.Region, live.Revision.Number);
                return new DeployOutcome(live.AppStage, live.Revision, live.Manifest, Unchanged: true);
            }

            var functionResources = await resources.ProvisionAsync(tenant, manifest, cancellationToken);
            var (appStage, revision) = await store.AddRevisionAsync(tenant, manifest.Service, provider.Stage, provider.Region, codeDirectory.Sha256, manifestJson, cancellationToken);
            var candidate = liveApps.Build(appStage, revision, manifest, codeDirectory.Path, functionResources);
            await liveApps.WarmUpLikeLiveAsync(candidate);
            liveApps.Publish(candidate);
            LogDeployed(manifest.Service, provider.Stage, provider.Region, revision.Number, codeDirectory.Sha256[..12]);
            return new DeployOutcome(appStage, revision, manifest, Unchanged: false);
        }), cancellationToken);
    }

    /// <summary>
    /// <c>POST /api/v1/deployments/unchanged</c> (the CLI's deploy cache): the live revision when its archive and
    /// manifest are exactly <paramref name="packageSha256"/> and <paramref name="manifestSha256"/>, decided as for an
    /// upload (<see cref="LiveIfUnchanged"/>), under the same lock and tenant check; null when anything differs or the
    /// app stage serves nothing, and the caller must upload.
    /// </summary>
    public async Task<DeployOutcome?> KeepIfUnchangedAsync(string tenant, string service, string stage, string region,
        string packageSha256, string manifestSha256)
        => await UnderAppLockAsync(tenant, service, stage, region, () =>
        {
            if (LiveIfUnchanged(service, stage, region, packageSha256, manifestSha256) is not { } live)
            {
                return Task.FromResult<DeployOutcome?>(null);
            }

            LogUnchanged(service, stage, region, live.Revision.Number);
            return Task.FromResult<DeployOutcome?>(new DeployOutcome(live.AppStage, live.Revision, live.Manifest, Unchanged: true));
        });

    /// <summary>SHA-256 (lowercase hex) of a manifest in its stored form (<see cref="ReadManifest"/>'s Json), as deploy results report it.</summary>
    public static string ManifestSha256(string storedManifestJson)
        => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(storedManifestJson)));

    /// <summary>
    /// The app stage's live revision when it was made from exactly this archive and manifest: a deploy of them would
    /// change nothing. The one rule for both an upload and the deploy cache's question.
    /// </summary>
    private LiveApp? LiveIfUnchanged(string service, string stage, string region, string packageSha256, string manifestSha256)
        => liveApps.Get(service, stage, region) is { } live
            && string.Equals(live.Revision.ArtifactSha256, packageSha256, StringComparison.Ordinal)
            && string.Equals(ManifestSha256(live.Revision.ManifestJson), manifestSha256, StringComparison.Ordinal)
            ? live
            : null;

    /// <summary>
    /// A deploy that only switches traffic when <paramref name="healthCheck"/> passes on the new revision (served on
    /// its own pools, beside the running one). On failure the new revision is recorded but never activated.
    /// </summary>
    /// <param name="healthCheck">Returns null when healthy, else what is wrong.</param>
    public async Task<GuardedDeployment> DeployCheckedAsync(
        string tenant, ServiceManifest manifest, string manifestJson, Stream archive,
        Func<LiveApp, CancellationToken, Task<string?>> healthCheck, CancellationToken cancellationToken)
    {
        quotaCheck.Check(tenant, manifest);
        return await WithUploadAsync(manifest, archive, codeDirectory => UnderAppLockAsync(tenant, manifest, async () =>
        {
            var provider = manifest.Provider;
            var previous = liveApps.Get(manifest.Service, provider.Stage, provider.Region);
            var functionResources = await resources.ProvisionAsync(tenant, manifest, cancellationToken);
            var (appStage, revision) = await store.AddRevisionAsync(tenant, manifest.Service, provider.Stage, provider.Region,
                codeDirectory.Sha256, manifestJson, activate: false, cancellationToken);
            var candidate = liveApps.Build(appStage, revision, manifest, codeDirectory.Path, functionResources);
            var problem = await healthCheck(candidate, cancellationToken);
            if (problem is not null)
            {
                await LiveApps.DiscardAsync(candidate);
                LogHealthCheckFailed(manifest.Service, provider.Stage, provider.Region, revision.Number, problem);
                return new GuardedDeployment(candidate, previous, problem);
            }

            await liveApps.WarmUpLikeLiveAsync(candidate);
            await store.SetActiveRevisionAsync(appStage.Id, revision.Id, cancellationToken);
            liveApps.Publish(candidate);
            LogDeployed(manifest.Service, provider.Stage, provider.Region, revision.Number, codeDirectory.Sha256[..12]);
            return new GuardedDeployment(candidate, previous, null);
        }), cancellationToken);
    }

    /// <summary>Serves an earlier revision of an app stage again (rollback).</summary>
    public async Task<LiveApp> ActivateRevisionAsync(AppStage appStage, Revision revision, CancellationToken cancellationToken)
    {
        var manifest = ServiceManifestJson.Deserialize(revision.ManifestJson);
        var directory = await code.EnsureExtractedAsync(revision.ArtifactSha256, Limits, cancellationToken);
        var functionResources = await resources.ProvisionAsync(appStage.Tenant, manifest, cancellationToken);
        await store.SetActiveRevisionAsync(appStage.Id, revision.Id, cancellationToken);
        var live = liveApps.Build(appStage, revision, manifest, directory, functionResources);
        await liveApps.WarmUpLikeLiveAsync(live);
        liveApps.Publish(live, shiftTraffic: false);
        return live;
    }

    /// <summary>
    /// Stores and extracts the archive and checks the handlers, then runs <paramref name="deploy"/> (which records the
    /// revision). When anything fails before the revision is recorded, the archive and its extraction are removed at
    /// once (unless a revision or another deploy uses the same bytes): refused uploads leave nothing on disk.
    /// </summary>
    private async Task<T> WithUploadAsync<T>(ServiceManifest manifest, Stream archive,
        Func<(string Sha256, string Path), Task<T>> deploy, CancellationToken cancellationToken)
    {
        CodeStore.ArtifactHold hold;
        try
        {
            hold = await code.SaveAsync(archive, options.MaxArchiveBytes, cancellationToken);
        }
        catch (ArtifactTooLargeException ex)
        {
            throw new DeploymentException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", ex.Message);
        }
        catch (ArtifactRemovedException ex)
        {
            throw new DeploymentException(StatusCodes.Status409Conflict, "upload_conflict", ex.Message);
        }

        var recorded = false;
        try
        {
            var codeDirectory = await ExtractAndCheckAsync(manifest, hold.Sha256, cancellationToken);
            var result = await deploy((hold.Sha256, codeDirectory));
            recorded = true;
            return result;
        }
        finally
        {
            hold.Dispose();
            if (!recorded)
            {
                await DiscardAsync(hold.Sha256);
            }
        }
    }

    /// <summary>Removes a refused upload's files; never throws (the refusal is what the caller must see).</summary>
    private async Task DiscardAsync(string sha256)
    {
        try
        {
            if (await code.DiscardIfUnusedAsync(sha256, store, CancellationToken.None))
            {
                LogDiscarded(sha256[..12]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StoreUnavailableException)
        {
            LogDiscardFailed(ex, sha256[..12]);
        }
    }

    /// <summary>Extracts the stored archive and checks the handlers and images; nothing is recorded or served yet.</summary>
    private async Task<string> ExtractAndCheckAsync(ServiceManifest manifest, string sha256, CancellationToken cancellationToken)
    {
        string codeDirectory;
        try
        {
            codeDirectory = await code.EnsureExtractedAsync(sha256, Limits, cancellationToken);
        }
        catch (ArchiveException ex)
        {
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "archive_invalid", $"The archive was refused: {ex.Message}");
        }

        CheckHandlersExist(manifest, codeDirectory);
        await PrepareImagesAsync(manifest, codeDirectory, cancellationToken);
        return codeDirectory;
    }

    private Task<T> UnderAppLockAsync<T>(string tenant, ServiceManifest manifest, Func<Task<T>> action)
        => UnderAppLockAsync(tenant, manifest.Service, manifest.Provider.Stage, manifest.Provider.Region, action);

    private async Task<T> UnderAppLockAsync<T>(string tenant, string service, string stage, string region, Func<Task<T>> action)
    {
        // URLs are global (/{service}/{stage}), so one lock per address, whichever tenant deploys.
        var gate = _appLocks.GetOrAdd($"{service}/{stage}/{region}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            if (liveApps.Get(service, stage, region) is { } existing && existing.AppStage.Tenant != tenant)
            {
                throw new DeploymentException(StatusCodes.Status409Conflict, "service_name_taken",
                    $"The service name '{service}' is already used in stage '{stage}' by another tenant; choose another `service:` name");
            }

            return await action();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every event function's handler file (or <c>bootstrap</c>) must be in the archive.</summary>
    private static void CheckHandlersExist(ServiceManifest manifest, string codeDirectory)
    {
        var problems = new List<ApiErrorDetail>();
        foreach (var function in manifest.Functions)
        {
            var candidates = HandlerFiles.For(function);
            if (candidates.Count == 0)
            {
                continue;
            }

            var found = candidates.FirstOrDefault(c => File.Exists(Path.Combine(codeDirectory, c)));
            if (found is null)
            {
                problems.Add(new ApiErrorDetail(
                    $"functions.{function.Name}: handler '{function.Handler}' needs the file {string.Join(" or ", candidates)} in the app folder, but the archive has none of them"));
                continue;
            }

            if (RuntimeCatalog.IsProvided(function.Runtime)
                && (File.GetUnixFileMode(Path.Combine(codeDirectory, found)) & UnixFileMode.UserExecute) == 0)
            {
                problems.Add(new ApiErrorDetail($"functions.{function.Name}: '{found}' must be executable (chmod +x {found})"));
            }
        }

        if (problems.Count > 0)
        {
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "handler_missing",
                problems.Count == 1 ? problems[0].Message : $"{problems.Count} functions cannot be started", problems);
        }
    }

    /// <summary>
    /// Unpacks every image function's archive (or finds its image in the cache) before the revision can go live, so
    /// a bad archive is a deploy error naming the function and file rather than a failing cold start.
    /// </summary>
    private async Task PrepareImagesAsync(ServiceManifest manifest, string codeDirectory, CancellationToken cancellationToken)
    {
        var problems = new List<ApiErrorDetail>();
        foreach (var function in manifest.Functions)
        {
            if (function.Image is not { } image)
            {
                continue;
            }

            try
            {
                var unpacked = await images.EnsureUnpackedAsync(ImageStore.ArchivePathIn(codeDirectory, image.Path), cancellationToken);
                ImageLaunch.For(unpacked, image);
            }
            catch (ImageException ex)
            {
                problems.Add(new ApiErrorDetail($"functions.{function.Name}: the image '{image.Path}' can't be used: {ex.Message}"));
            }
        }

        if (problems.Count > 0)
        {
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "image_invalid",
                problems.Count == 1 ? problems[0].Message : $"{problems.Count} function images can't be used", problems);
        }
    }

    private static DeploymentException Invalid(IReadOnlyList<ManifestDiagnostic> errors)
        => new(StatusCodes.Status422UnprocessableEntity, "manifest_invalid",
            errors.Count == 1 ? errors[0].ToString() : $"The manifest has {errors.Count} errors",
            [.. errors.Select(e => new ApiErrorDetail(e.Message, e.Location?.File, e.Location?.Line, e.Location?.Column))]);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revision {Revision} of {Service}/{Stage}@{Region} failed its health check and was not activated: {Problem}")]
    private partial void LogHealthCheckFailed(string service, string stage, string region, int revision, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the archive {Artifact} of a refused upload and its extracted files")]
    private partial void LogDiscarded(string artifact);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the archive {Artifact} of a refused upload; it goes at the next start")]
    private partial void LogDiscardFailed(Exception exception, string artifact);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deploy of {Service}/{Stage}@{Region} is unchanged from revision {Revision}; nothing was redeployed")]
    private partial void LogUnchanged(string service, string stage, string region, int revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployed {Service}/{Stage}@{Region} revision {Revision} (artifact {Artifact})")]
    private partial void LogDeployed(string service, string stage, string region, int revision, string artifact);
}

/// <summary>What a deploy served: a new revision, or the live one when nothing changed (<paramref name="Unchanged"/>).</summary>
public sealed record DeployOutcome(AppStage AppStage, Revision Revision, ServiceManifest Manifest, bool Unchanged);

/// <summary>Outcome of a health-checked deploy: <see cref="Problem"/> is null when the candidate went live.</summary>
public sealed record GuardedDeployment(LiveApp Candidate, LiveApp? Previous, string? Problem);
