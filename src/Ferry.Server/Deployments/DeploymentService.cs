using System.Collections.Concurrent;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Server.Api;
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
    LiveApps liveApps,
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

        return (manifest, ServiceManifestJson.Serialize(manifest));
    }

    public async Task<(AppStage AppStage, Revision Revision, ServiceManifest Manifest)> DeployAsync(
        string tenant, ServiceManifest manifest, string manifestJson, Stream archive, CancellationToken cancellationToken)
    {
        string sha256;
        try
        {
            sha256 = await code.Artifacts.SaveAsync(archive, options.MaxArchiveBytes, cancellationToken);
        }
        catch (ArtifactTooLargeException ex)
        {
            throw new DeploymentException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", ex.Message);
        }

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

        var provider = manifest.Provider;
        // URLs are global (/{service}/{stage}), so one lock per address, whichever tenant deploys.
        var gate = _appLocks.GetOrAdd($"{manifest.Service}/{provider.Stage}/{provider.Region}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (liveApps.Get(manifest.Service, provider.Stage, provider.Region) is { } existing && existing.AppStage.Tenant != tenant)
            {
                throw new DeploymentException(StatusCodes.Status409Conflict, "service_name_taken",
                    $"The service name '{manifest.Service}' is already used in stage '{provider.Stage}' by another tenant; choose another `service:` name");
            }

            var (appStage, revision) = await store.AddRevisionAsync(tenant, manifest.Service, provider.Stage, provider.Region, sha256, manifestJson, cancellationToken);
            liveApps.Activate(appStage, revision, manifest, codeDirectory);
            LogDeployed(manifest.Service, provider.Stage, provider.Region, revision.Number, sha256[..12]);
            return (appStage, revision, manifest);
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
            var candidates = HandlerFiles.Candidates(function.Runtime, function.Handler);
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

    private static DeploymentException Invalid(IReadOnlyList<ManifestDiagnostic> errors)
        => new(StatusCodes.Status422UnprocessableEntity, "manifest_invalid",
            errors.Count == 1 ? errors[0].ToString() : $"The manifest has {errors.Count} errors",
            [.. errors.Select(e => new ApiErrorDetail(e.Message, e.Location?.File, e.Location?.Line, e.Location?.Column))]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployed {Service}/{Stage}@{Region} revision {Revision} (artifact {Artifact})")]
    private partial void LogDeployed(string service, string stage, string region, int revision, string artifact);
}
