using System.Text.Json;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Routing;
using Ferry.Hub;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Hub;

/// <summary>
/// Consumer side of the template center: installs a template version into this server (verified again here:
/// digest and signature), upgrades with a health check before the switch and an error budget after it, and rolls back.
/// Everything runs in the consumer's server; only the package comes from the hub.
/// </summary>
public sealed partial class InstallService(
    IHubStore hubs,
    IFerryStore store,
    DeploymentService deployments,
    LiveApps live,
    FunctionGateway gateway,
    InvocationRecorder invocations,
    LocalInstallerCredential localInstaller,
    HubTokenProtector hubTokens,
    FerryServerOptions options,
    CodeStore code,
    ILogger<InstallService> logger)
{
    public const string LocalHub = "local";
    private static readonly JsonSerializerOptions ParametersJson = new(JsonSerializerDefaults.Web);

    public async Task<InstallInfo> InstallAsync(Caller caller, Uri selfUrl, InstallRequest request, string serverBaseUrl, CancellationToken cancellationToken)
    {
        var (template, versionText) = SplitTemplate(request.Template, request.Version);
        using var hub = await ConnectAsync(caller, selfUrl, request.Hub ?? LocalHub, cancellationToken);
        var info = await hub.GetTemplateAsync(template, cancellationToken)
                   ?? throw new HubException(StatusCodes.Status404NotFound, "not_found", $"The hub '{hub.Name}' has no template '{template}'");
        var version = PickVersion(info, versionText, forNewInstall: true);

        var stage = request.Stage ?? ManifestDefaults.Stage;
        var region = request.Region ?? ManifestDefaults.Region;
        await using var prepared = await PrepareAsync(hub, info, version, request.Parameters ?? new Dictionary<string, string>(), null, stage, region, request.Name, cancellationToken);
        var (appStage, revision, _) = await deployments.DeployAsync(caller.Tenant, prepared.Manifest, prepared.ManifestJson, prepared.OpenAppArchive(), cancellationToken);
        await hubs.RecordInstallRevisionAsync(revision.Id, version.Version, prepared.ParametersJson, cancellationToken);
        await hubs.SaveInstallAsync(caller.Tenant, appStage.Id, hub.Name, template, version.Version, prepared.ParametersJson, cancellationToken);
        LogInstalled(template, version.Version, appStage.Service, appStage.Stage);
        return await DescribeAsync(caller, selfUrl, appStage.Id, serverBaseUrl, cancellationToken);
    }

    public async Task<UpgradeResult> UpgradeAsync(Caller caller, Uri selfUrl, LiveApp app, UpgradeRequest request, string serverBaseUrl, CancellationToken cancellationToken)
    {
        var install = await hubs.FindInstallAsync(app.AppStage.Id, cancellationToken)
                      ?? throw new HubException(StatusCodes.Status404NotFound, "not_installed", $"{app.AppStage.Service} was not installed from a template");
        using var hub = await ConnectAsync(caller, selfUrl, install.Hub, cancellationToken);
        var info = await hub.GetTemplateAsync(install.Template, cancellationToken)
                   ?? throw new HubException(StatusCodes.Status404NotFound, "not_found", $"The hub '{hub.Name}' no longer has template '{install.Template}'");
        var target = PickVersion(info, request.To, forNewInstall: false);
        if (SemanticVersion.Parse(target.Version) <= SemanticVersion.Parse(install.Version))
        {
            throw new HubException(StatusCodes.Status409Conflict, "not_newer",
                $"{install.Template} is at {install.Version}; {target.Version} is not newer (use `ferry app rollback` to go back)");
        }

        var previousValues = JsonSerializer.Deserialize<Dictionary<string, string>>(install.ParametersJson, ParametersJson) ?? [];
        await using var prepared = await PrepareAsync(hub, info, target, request.Parameters ?? new Dictionary<string, string>(), previousValues,
            app.AppStage.Stage, app.AppStage.Region, app.AppStage.Service, cancellationToken);

        var outcome = await deployments.DeployCheckedAsync(caller.Tenant, prepared.Manifest, prepared.ManifestJson, prepared.OpenAppArchive(),
            HealthCheckAsync, cancellationToken);
        await hubs.RecordInstallRevisionAsync(outcome.Candidate.Revision.Id, target.Version, prepared.ParametersJson, cancellationToken);
        if (outcome.Problem is not null)
        {
            LogUpgradeRefused(install.Template, target.Version, app.AppStage.Service, outcome.Problem);
            return new UpgradeResult("rolled_back", $"the new revision failed its health check, so traffic stayed on {install.Version}: {outcome.Problem}",
                install.Version, target.Version, await DescribeAsync(caller, selfUrl, app.AppStage.Id, serverBaseUrl, cancellationToken));
        }

        await hubs.SaveInstallAsync(caller.Tenant, app.AppStage.Id, install.Hub, install.Template, target.Version, prepared.ParametersJson, cancellationToken);
        if (outcome.Previous is { } previous)
        {
            _ = WatchErrorBudgetAsync(caller.Tenant, outcome.Candidate, previous, install);
        }

        LogUpgraded(install.Template, install.Version, target.Version, app.AppStage.Service);
        return new UpgradeResult("upgraded", null, install.Version, target.Version,
            await DescribeAsync(caller, selfUrl, app.AppStage.Id, serverBaseUrl, cancellationToken));
    }

    /// <summary>Back to the revision before the active one, with the template version it was deployed from.</summary>
    public async Task<InstallInfo> RollbackAsync(Caller caller, Uri selfUrl, LiveApp app, string serverBaseUrl, CancellationToken cancellationToken)
    {
        var install = await hubs.FindInstallAsync(app.AppStage.Id, cancellationToken)
                      ?? throw new HubException(StatusCodes.Status404NotFound, "not_installed", $"{app.AppStage.Service} was not installed from a template");
        Revision? previous = null;
        foreach (var revision in await store.ListRevisionsAsync(app.AppStage.Id, cancellationToken))
        {
            if (revision.Number < app.Revision.Number && await hubs.FindInstallRevisionAsync(revision.Id, cancellationToken) is { } recorded
                && recorded.Version != install.Version)
            {
                previous = revision;
                break;
            }
        }

        if (previous is null)
        {
            throw new HubException(StatusCodes.Status409Conflict, "nothing_to_roll_back", $"{app.AppStage.Service} has no earlier version to return to");
        }

        await RevertToAsync(app.AppStage, previous, install, cancellationToken);
        return await DescribeAsync(caller, selfUrl, app.AppStage.Id, serverBaseUrl, cancellationToken);
    }

    public async Task<IReadOnlyList<InstallInfo>> ListAsync(Caller caller, Uri selfUrl, string serverBaseUrl, CancellationToken cancellationToken)
    {
        var result = new List<InstallInfo>();
        foreach (var install in await hubs.ListInstallsAsync(caller.Tenant, cancellationToken))
        {
            result.Add(await DescribeAsync(caller, selfUrl, install.AppStageId, serverBaseUrl, cancellationToken));
        }

        return result;
    }

    private async Task RevertToAsync(AppStage appStage, Revision revision, InstallRecord install, CancellationToken cancellationToken)
    {
        var recorded = await hubs.FindInstallRevisionAsync(revision.Id, cancellationToken);
        await deployments.ActivateRevisionAsync(appStage, revision, cancellationToken);
        if (recorded is { } r)
        {
            await hubs.SaveInstallAsync(appStage.Tenant, appStage.Id, install.Hub, install.Template, r.Version, r.ParametersJson, cancellationToken);
        }

        LogRolledBack(appStage.Service, appStage.Stage, revision.Number);
    }

    /// <summary>
    /// After a switch: while the watch window lasts, if the new revision's error rate exceeds the budget (with a
    /// minimum number of requests, so one unlucky call does not decide), traffic goes back to the previous revision.
    /// </summary>
    private async Task WatchErrorBudgetAsync(string tenant, LiveApp upgraded, LiveApp previous, InstallRecord beforeUpgrade)
    {
        var total = 0;
        var failed = 0;
        var tripped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRecorded(InvocationRecord record)
        {
            if (record.RevisionId != upgraded.Revision.Id)
            {
                return;
            }

            var t = Interlocked.Increment(ref total);
            var f = record.Status == InvocationStatus.Success ? Volatile.Read(ref failed) : Interlocked.Increment(ref failed);
            if (t >= options.UpgradeMinimumRequests && f > t * options.UpgradeMaxErrorRate)
            {
                tripped.TrySetResult();
            }
        }

        invocations.Recorded += OnRecorded;
        try
        {
            var finished = await Task.WhenAny(tripped.Task, Task.Delay(options.UpgradeWatchWindow));
            if (finished != tripped.Task || live.Get(upgraded.AppStage.Service, upgraded.AppStage.Stage, upgraded.AppStage.Region)?.Revision.Id != upgraded.Revision.Id)
            {
                return;
            }

            LogErrorBudgetExceeded(upgraded.AppStage.Service, failed, total);
            await RevertToAsync(upgraded.AppStage, previous.Revision, beforeUpgrade with { Tenant = tenant }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogWatchFailed(ex, upgraded.AppStage.Service);
        }
        finally
        {
            invocations.Recorded -= OnRecorded;
        }
    }

    /// <summary>
    /// GETs the first route without path parameters (or any-path route) on the candidate's own pools; a 5xx or no
    /// answer fails the check. Apps without such a route are not checked (nothing safe to call).
    /// </summary>
    private async Task<string?> HealthCheckAsync(LiveApp candidate, CancellationToken cancellationToken)
    {
        var route = candidate.Manifest.Functions.SelectMany(f => f.Routes)
            .FirstOrDefault(r => r.Method is "GET" or "*" && !r.Path.Contains('{', StringComparison.Ordinal));
        if (route is null)
        {
            return null;
        }

        var path = route.Path == "*" ? "/" : route.Path;
        var address = new GatewayAddress(candidate.AppStage.Service, candidate.AppStage.Stage, candidate.AppStage.Region, path);
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1");
        context.Request.Path = candidate.Deployed.BasePath + path;
        context.Request.Headers.UserAgent = "ferry-health-check";
        using var body = new MemoryStream();
        context.Response.Body = body;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        context.RequestAborted = timeout.Token;
        // The function's own error (from its invocation record) says more than the gateway's generic 5xx body.
        // It is recorded just after the answer, so wait a moment for it when the check failed.
        var functionError = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRecorded(InvocationRecord record)
        {
            if (record.RevisionId == candidate.Revision.Id && record.Error is not null)
            {
                functionError.TrySetResult(record.Error);
            }
        }

        invocations.Recorded += OnRecorded;
        try
        {
            await gateway.HandleAsync(context, candidate.Deployed, address);
            if (context.Response.StatusCode < 500)
            {
                return null;
            }

            await Task.WhenAny(functionError.Task, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
        }
        finally
        {
            invocations.Recorded -= OnRecorded;
        }

        var text = functionError.Task.IsCompleted
            ? await functionError.Task
            : System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)Math.Min(body.Length, 500));
        return $"GET {path} answered {context.Response.StatusCode}: {text}";
    }

    private async Task<HubClient> ConnectAsync(Caller caller, Uri selfUrl, string hubName, CancellationToken cancellationToken)
    {
        if (hubName == LocalHub)
        {
            // Catalog reads and package downloads go through the same REST API as for a remote hub, with this
            // server's in-memory installer credential (people cannot download packages).
            return new HubClient(LocalHub, selfUrl, localInstaller.Token, publicAddressesOnly: false);
        }

        var hub = (await hubs.ListHubsAsync(caller.Tenant, cancellationToken)).FirstOrDefault(h => h.Name == hubName)
                  ?? throw new HubException(StatusCodes.Status404NotFound, "unknown_hub", $"No hub '{hubName}'; add it with `ferry hub add {hubName} URL --token TOKEN`");
        return new HubClient(hub.Name, new Uri(hub.Url), hubTokens.Unprotect(hub.Name, hub.Token),
            publicAddressesOnly: !hub.PrivateAddressesAllowed && !options.AllowPrivateHubs);
    }

    private static (string Template, string? Version) SplitTemplate(string template, string? version)
    {
        var at = template.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? (template, version) : (template[..at], version ?? template[(at + 1)..]);
    }

    private static TemplateVersionInfo PickVersion(TemplateInfo info, string? requested, bool forNewInstall)
    {
        if (requested is not null)
        {
            var match = info.Versions.FirstOrDefault(v => v.Version == requested)
                        ?? throw new HubException(StatusCodes.Status404NotFound, "not_found", $"{info.Name} has no version {requested}");
            if (match.Status == "approved" || (!forNewInstall && match.Status == "deprecated"))
            {
                return match;
            }

            throw new HubException(StatusCodes.Status409Conflict, "version_not_installable",
                $"{info.Name}@{requested} is {match.Status}; only approved versions can be installed");
        }

        return info.Versions.Where(v => v.Status == "approved").MaxBy(v => SemanticVersion.Parse(v.Version))
               ?? throw new HubException(StatusCodes.Status404NotFound, "not_found", $"{info.Name} has no approved version yet");
    }

    /// <summary>Downloads, verifies (digest + signature), validates parameters and loads the manifest of a version.</summary>
    private async Task<PreparedInstall> PrepareAsync(HubClient hub, TemplateInfo info, TemplateVersionInfo version,
        IReadOnlyDictionary<string, string> supplied, IReadOnlyDictionary<string, string>? previousValues,
        string stage, string region, string? serviceName, CancellationToken cancellationToken)
    {
        // In the data folder (owner-only, emptied at start-up), not /tmp: a crash mid-install leaves nothing behind.
        var work = code.CreateScratchDirectory("install-");
        var prepared = new PreparedInstall(work);
        try
        {
            var packagePath = Path.Combine(work.FullName, "package.zip");
            await using (var file = File.Create(packagePath))
            {
                await hub.DownloadPackageAsync(info.Name, version.Version, file, options.MaxArchiveBytes, cancellationToken);
            }

            await using var packageStream = File.OpenRead(packagePath);
            TemplatePackage package;
            try
            {
                package = await TemplatePackageReader.OpenAsync(packageStream, cancellationToken);
            }
            catch (TemplatePackageException ex)
            {
                throw new HubException(StatusCodes.Status422UnprocessableEntity, "package_invalid", $"The package of {info.Name}@{version.Version} was refused: {ex.Message}");
            }

            await using (package)
            {
                if (package.PackageDigest != version.Digest)
                {
                    throw new HubException(StatusCodes.Status422UnprocessableEntity, "package_tampered",
                        $"The package of {info.Name}@{version.Version} does not match the digest the hub approved; it was changed after review and is refused");
                }

                var key = await hub.GetSigningKeyAsync(version.KeyId, cancellationToken);
                var verification = package.VerifySignature(new TrustedKeys([TemplatePublicKey.Parse(key.PublicKey)]));
                if (verification.Failure is not null)
                {
                    throw new HubException(StatusCodes.Status422UnprocessableEntity, "signature_invalid",
                        $"The package of {info.Name}@{version.Version} failed signature verification: {verification.Message}");
                }

                var parameters = TemplateParameterValidator.Validate(package.Definition, supplied, previousValues);
                if (!parameters.IsValid)
                {
                    throw new HubException(StatusCodes.Status422UnprocessableEntity, "parameters_invalid",
                        parameters.Errors.Count == 1 ? parameters.Errors[0].ToString() : $"{parameters.Errors.Count} parameters are invalid",
                        [.. parameters.Errors.Select(e => new ApiErrorDetail(e.ToString()))]);
                }

                var appArchivePath = Path.Combine(work.FullName, "app.zip");
                await using (var appArchive = package.OpenAppArchive())
                await using (var copy = File.Create(appArchivePath))
                {
                    await appArchive.CopyToAsync(copy, cancellationToken);
                }

                var appDirectory = Path.Combine(work.FullName, "app");
                await using (var appArchive = File.OpenRead(appArchivePath))
                {
                    await AppArchive.ExtractAsync(appArchive, appDirectory, new ArchiveLimits { MaxTotalBytes = options.MaxArchiveBytes * 8 }, cancellationToken);
                }

                ServiceManifest manifest;
                try
                {
                    manifest = ManifestLoader.LoadFile(Path.Combine(appDirectory, "serverless.yml"), new ManifestLoadOptions
                    {
                        Stage = stage,
                        Region = region,
                        ParamOverrides = parameters.Values,
                        Options = new Dictionary<string, string> { ["stage"] = stage, ["region"] = region },
                        EnvironmentVariable = _ => null, // the server's own environment is never visible to templates
                    }).Manifest;
                }
                catch (ManifestException ex)
                {
                    throw new HubException(StatusCodes.Status422UnprocessableEntity, "manifest_invalid",
                        $"{info.Name}@{version.Version} cannot be deployed: {ex.Errors[0]}",
                        [.. ex.Errors.Select(e => new ApiErrorDetail(e.Message, e.Location?.File, e.Location?.Line, e.Location?.Column))]);
                }

                if (serviceName is not null)
                {
                    manifest = manifest with { Service = serviceName };
                }

                var (checkedManifest, json) = DeploymentService.ReadManifest(ServiceManifestJson.Serialize(manifest));
                prepared.Complete(checkedManifest, json, appArchivePath, JsonSerializer.Serialize(parameters.Values, ParametersJson));
                return prepared;
            }
        }
        catch
        {
            await prepared.DisposeAsync();
            throw;
        }
    }

    private async Task<InstallInfo> DescribeAsync(Caller caller, Uri selfUrl, long appStageId, string serverBaseUrl, CancellationToken cancellationToken)
    {
        var install = (await hubs.FindInstallAsync(appStageId, cancellationToken))!;
        var appStage = (await store.GetAppStageAsync(appStageId, cancellationToken))!;
        var app = live.Get(appStage.Service, appStage.Stage, appStage.Region);
        var values = JsonSerializer.Deserialize<Dictionary<string, string>>(install.ParametersJson, ParametersJson) ?? [];

        string? update = null;
        List<ChangelogEntry> changelog = [];
        IReadOnlyDictionary<string, string> shown = values.ToDictionary(p => p.Key, _ => "••••••");
        try
        {
            using var hub = await ConnectAsync(caller, selfUrl, install.Hub, cancellationToken);
            if (await hub.GetTemplateAsync(install.Template, cancellationToken) is { } info)
            {
                var current = SemanticVersion.Parse(install.Version);
                var newer = info.Versions.Where(v => v.Status == "approved" && SemanticVersion.Parse(v.Version) > current)
                    .OrderBy(v => SemanticVersion.Parse(v.Version)).ToList();
                update = newer.Count > 0 ? newer[^1].Version : null;
                changelog = [.. newer.Select(v => new ChangelogEntry(v.Version, v.Changelog))];
                var secret = info.Versions.FirstOrDefault(v => v.Version == install.Version)?.Parameters.Where(p => p.Secret).Select(p => p.Name).ToHashSet()
                             ?? [];
                shown = values.ToDictionary(p => p.Key, p => secret.Contains(p.Key) ? "••••••" : p.Value);
            }
        }
        catch (HubException ex)
        {
            LogHubUnavailable(install.Hub, ex.Message);
        }

        return new InstallInfo(appStage.Service, appStage.Stage, appStage.Region, install.Hub, install.Template, install.Version,
            app?.Revision.Number, AppViews.AppBaseUrl(serverBaseUrl, appStage.Service, appStage.Stage, appStage.Region), shown, update, changelog, install.UpdatedAt);
    }

    /// <summary>A downloaded, verified version ready to deploy; deletes its scratch folder when disposed.</summary>
    private sealed class PreparedInstall(DirectoryInfo work) : IAsyncDisposable
    {
        private string? _appArchivePath;

        public ServiceManifest Manifest { get; private set; } = null!;
        public string ManifestJson { get; private set; } = "";
        public string ParametersJson { get; private set; } = "";

        public void Complete(ServiceManifest manifest, string json, string appArchivePath, string parametersJson)
        {
            Manifest = manifest;
            ManifestJson = json;
            _appArchivePath = appArchivePath;
            ParametersJson = parametersJson;
        }

        public Stream OpenAppArchive() => File.OpenRead(_appArchivePath!);

        public ValueTask DisposeAsync()
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Scratch space; the OS cleans the temp folder eventually.
            }

            return ValueTask.CompletedTask;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed {Template}@{Version} as {Service}/{Stage}")]
    private partial void LogInstalled(string template, string version, string service, string stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upgraded {Service} from {Template}@{From} to {To}")]
    private partial void LogUpgraded(string template, string from, string to, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upgrade of {Service} to {Template}@{Version} refused: {Problem}")]
    private partial void LogUpgradeRefused(string template, string version, string service, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: {Failed} of {Total} requests failed after the upgrade; rolling back")]
    private partial void LogErrorBudgetExceeded(string service, int failed, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rolled back {Service}/{Stage} to revision {Revision}")]
    private partial void LogRolledBack(string service, string stage, int revision);

    [LoggerMessage(Level = LogLevel.Error, Message = "Watching the upgrade of {Service} failed")]
    private partial void LogWatchFailed(Exception exception, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub {Hub} could not be asked about updates: {Reason}")]
    private partial void LogHubUnavailable(string hub, string reason);
}
