using Ferry.Gateway.Forwarding;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Runtime;
using Ferry.Runtime.Images;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Server.ApiKeys;
using Ferry.Server.Deployments;
using Ferry.Server.Domains;
using Ferry.Server.Hub;
using Ferry.Server.Lambda;
using Ferry.Server.Resources;
using Ferry.Server.Storage;
using Ferry.Runtime.StemCells;
using Ferry.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>Entry point of <c>ferry server</c>: one process with the REST API, the gateway and the function runtime.</summary>
public static partial class FerryServerHost
{
    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires or the process is asked to stop; returns the exit code.</summary>
    public static async Task<int> RunAsync(FerryServerOptions options, CancellationToken cancellationToken)
    {
        if (options.InlineIo)
        {
            // Socket completions then run on the threads that watch the sockets instead of a thread-pool hop each. The
            // runtime reads this once, when the process makes its first socket: the CLI has made none yet. (A host
            // that embeds the server, such as the integration tests, keeps its own setting and gets Kestrel's inline
            // scheduling only.)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        await using var app = await BuildAsync(options, cancellationToken);
        if (app is null)
        {
            return 1;
        }

        // Not WebApplication.RunAsync: it disposes the host itself, and the runtime must be stopped (instances killed,
        // logs flushed) while the services still exist.
        await app.StartAsync(cancellationToken);
        await app.App.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    /// <summary>Builds and prepares the server (store opened, sandbox checked, deployed apps loaded); null when it cannot start.</summary>
    internal static async Task<FerryServerApp?> BuildAsync(FerryServerOptions options, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        DataFolder.Secure(dataDirectory);
        var storeLocation = StoreLocation.Resolve(options.Store, dataDirectory);

        // No watching of appsettings files (the server is configured by its options): each watcher is an inotify
        // instance, of which a user has 128 by default, and the integration tests start a server per test class in one
        // process. The builder reads this switch only from DOTNET_ variables (command-line args come after the files).
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // Hosting's per-request category logs only "request starting/finished" (Information, Debug). Any level enabled
        // for it makes hosting start an Activity and a logging scope for every request, a measurable part of the
        // gateway's CPU per request (bench/README.md, section 5): nothing here reads either.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.UseUrls([.. options.Urls]);
        // HTTPS listeners (--urls https://…) pick each handshake's certificate by SNI from PEM files, reloaded when they change.
        var certificateDirectory = Path.GetFullPath(options.TlsCertificateDirectory ?? Path.Combine(dataDirectory, "certs"));
        if (options.TlsCertificateDirectory is null)
        {
            Directory.CreateDirectory(certificateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        builder.WebHost.UseKestrelHttpsConfiguration();
        // Inline I/O: a request's code runs on the thread that read it, not on a pool thread after a hop (the control
        // plane is moved back to the pool by GatewayFastPath).
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = options.InlineIo);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificateSelector =
                (_, serverName) => kestrel.ApplicationServices.GetRequiredService<SniCertificates>().Select(serverName));
        });
        builder.Services.AddSingleton(sp => new SniCertificates(certificateDirectory, sp.GetRequiredService<ILogger<SniCertificates>>()));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));

        using var startupLoggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(c => c.SingleLine = true));
        var startupLogger = startupLoggers.CreateLogger("Ferry.Server");
        ISandbox sandbox;
        try
        {
            sandbox = SandboxFactory.Create(options.InsecureNoSandbox, startupLoggers, Path.Combine(dataDirectory, "sandbox-users.json"));
            // Sandboxes run as unprivileged users and must reach the code folders in here; other local users must not.
            sandbox.AllowTraversal(dataDirectory);
        }
        catch (SandboxStartException ex)
        {
            LogCannotStart(startupLogger, ex.Message);
            return null;
        }

        if (options.InsecureNoSandbox)
        {
            LogInsecure(startupLogger);
        }

        var noExecData = MountDataFoldersNoExec(sandbox, options, dataDirectory, startupLogger);
        // Released here when the server does not get built (a broken pricing.json, a store that cannot open…): the
        // mount outlives the process otherwise. A built server releases it when disposed.
        var built = false;
        try
        {
            var runtimeOptions = new RuntimeOptions
            {
                IdleTimeout = options.IdleTimeout,
                WarmRedeploys = options.WarmRedeploys,
                RedeployTrafficShift = options.RedeployTrafficShift,
                InlineIo = options.InlineIo,
                StemCellsPerRuntime = options.StemCellsPerRuntime,
                StemCellsMaxPerRuntime = options.StemCellsMaxPerRuntime,
                StemCellMemoryBudgetMb = options.StemCellMemoryBudgetMb,
                StemCellRefillConcurrency = options.StemCellRefillConcurrency ?? new RuntimeOptions().StemCellRefillConcurrency,
                StemCellDemandHalfLife = options.StemCellDemandHalfLife,
                MaxInstancesPerFunction = options.MaxInstancesPerFunction,
                StemCellDirectory = Path.Combine(dataDirectory, "stem-cells"), // beside the revisions: filled by hard links
            };
            var services = builder.Services;
            services.AddSingleton(options);
            services.AddSingleton(runtimeOptions);
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(sandbox);
            services.AddSingleton(new DataFolderMounts(noExecData));
            services.AddSingleton(storeLocation);
            services.AddSingleton(sp => storeLocation.Open(TimeProvider.System, sp.GetRequiredService<StoreSecretProtector>()));
            services.AddSingleton<StoreSecretProtector>();
            services.AddSingleton<IFerryStore>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<ILogSink>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<IInvocationSink>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<IAccessStore>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<IHubStore>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<IControlPlaneStore>());
            services.AddSingleton<InstallService>();
            services.AddFerryAccess();
            services.AddSingleton(new CodeStore(dataDirectory));
            services.AddSingleton<RuntimeApiHost>();
            services.AddSingleton<LogPipeline>();
            services.AddSingleton<InvocationRecorder>();
            services.AddSingleton(sp => new InstanceServices(
                sp.GetRequiredService<ISandbox>(), sp.GetRequiredService<RuntimeApiHost>(), sp.GetRequiredService<LogPipeline>(),
                sp.GetRequiredService<InvocationRecorder>(), runtimeOptions, sp.GetRequiredService<ILoggerFactory>(), TimeProvider.System)
            {
                StemCells = sp.GetRequiredService<StemCellPool>(),
                Images = sp.GetRequiredService<ImageStore>(),
                Admission = sp.GetRequiredService<Ferry.Runtime.Quotas.TenantAdmission>(),
                Cpu = sp.GetRequiredService<ProcStatMachineCpu>(),
            });
            services.AddSingleton(_ => new ProcStatMachineCpu(TimeProvider.System));

            // Unpacked images of image functions, one folder per digest beside the extracted revisions; umoci runs in
            // bubblewrap when functions do.
            services.AddSingleton(sp => new ImageStore(Path.Combine(dataDirectory, "images"), sp.GetRequiredService<ILoggerFactory>().CreateLogger<ImageStore>(),
                jailPath: sandbox.SupportsRootFilesystem ? BubblewrapSandbox.TryFind() : null, jailUsers: (sandbox as BubblewrapSandbox)?.Users));
            services.AddSingleton(sp => new StemCellPool(
                sp.GetRequiredService<ISandbox>(), sp.GetRequiredService<RuntimeApiHost>(), runtimeOptions, sp.GetRequiredService<ILoggerFactory>(), TimeProvider.System));
            services.AddSingleton<LiveApps>();
            services.AddSingleton<IDeployedApps>(sp => sp.GetRequiredService<LiveApps>());
            services.AddSingleton<DeploymentService>();
            services.AddSingleton<FunctionGateway>();
            services.AddHttpForwarder();
            // Feature registrations (one line each): services.AddFerryXxx(...);
            services.AddFerryMetering(options);
            services.AddFerryLambda(storeLocation);
            services.AddFerryQuotas();
            services.AddFerryApiKeys();
            services.AddFerryDomains();
            HubTokenProtector.Register(services, dataDirectory);
            await services.AddFerryResourcesAsync(options, dataDirectory, cancellationToken);

            var app = builder.Build();
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Server");
            LogStarting(logger, dataDirectory, storeLocation.ToString(), sandbox.Description);

            var store = app.Services.GetRequiredService<IFerryStore>();
            try
            {
                await store.InitializeAsync(cancellationToken);
            }
            catch (StoreUnavailableException ex)
            {
                LogCannotStart(logger, ex.Message);
                await app.DisposeAsync();
                return null;
            }
            await app.Services.GetRequiredService<Quotas.TenantQuotas>().RefreshAsync(cancellationToken);
            await AdminTokenBootstrap.EnsureAsync(app.Services.GetRequiredService<IAccessStore>(), dataDirectory, logger, cancellationToken);
            await app.Services.GetRequiredService<RuntimeApiHost>().StartAsync(cancellationToken);
            // Functions (and the stem cells they may take over) get bridges to the AWS endpoints: their sockets come first.
            var awsBridges = await app.Services.GetRequiredService<FunctionAwsEndpoints>().BridgesAsync(cancellationToken);
            app.Services.GetRequiredService<StemCellPool>().Start(awsBridges);
            await RestoreDeployedAppsAsync(app.Services, logger, cancellationToken);
            await app.Services.GetRequiredService<CustomDomainService>().ReloadAsync(cancellationToken);

            // Requests for functions skip routing, authentication and authorization (GatewayFastPath says when that is
            // safe); a bound custom domain's host belongs to its app at every path (its /api too), so it is served here too.
            var gateway = app.Services.GetRequiredService<FunctionGateway>();
            var fastPath = new GatewayFastPath(gateway, app.Services.GetRequiredService<LambdaEndpointRelay>(),
                app.Services.GetRequiredService<EndpointDataSource>(), options.InlineIo);
            app.Use(next => context => fastPath.InvokeAsync(context, next));
            app.UseRouting();

            // Routing (added first by WebApplication) picks the endpoint; its policy decides who may call it. Endpoints
            // without one (function URLs, /healthz, the console's files) are public.
            app.UseLambdaRelayScope();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/healthz", () => Results.Text("ok"));
            var api = app.MapGroup("/api/v1").RequireAuthorization(AccessPolicies.Authenticated);
            api.MapAccessEndpoints();
            api.MapFerryQuotas();
            var apps = api.MapGroup("").RequireAuthorization(AccessPolicies.Apps);
            apps.MapDeploymentEndpoints();
            apps.MapAppEndpoints();
            apps.MapLogEndpoints();
            api.MapHubEndpoints();
            apps.MapInstallEndpoints();
            // Feature endpoints (one line each): api.MapXxxEndpoints(); or app.MapXxx();
            app.MapFerryMetering(apps);
            app.MapFerryLambda(apps);
            apps.MapFerryApiKeys();
            api.MapFerryDomains();
            app.MapFerryConsole(apps);
            api.MapFallback((HttpContext context) => ApiResults.NotFound($"No API endpoint {context.Request.Method} {context.Request.Path}"));
            // Everything else under /api (other versions, empty segments, file-like names) is still the API: a token first.
            app.MapFallback("/api/{**path}", (HttpContext context) => ApiResults.NotFound($"No API endpoint {context.Request.Method} {context.Request.Path}; the API is under /api/v1"))
                .RequireAuthorization(AccessPolicies.Authenticated);

            // Everything that is not the API is the gateway (lowest precedence, any method, any path).
            app.MapFallback("/{**path}", async (HttpContext context) =>
            {
                if (!await gateway.TryHandleAsync(context))
                {
                    await Results.Json(new { message = "Not Found: URLs of apps look like /SERVICE/STAGE/PATH", code = "not_found" }, statusCode: 404).ExecuteAsync(context);
                }
            }).WithMetadata(GatewayEndpoint.Metadata);

            app.Lifetime.ApplicationStarted.Register(() => LogListening(logger, string.Join(", ", app.Urls)));
            built = true;
            return new FerryServerApp(app);
        }
        finally
        {
            if (!built)
            {
                noExecData?.Dispose();
            }
        }
    }

    /// <summary>After a restart: serve every app stage at its active revision again; drop files no revision needs.</summary>
    private static async Task RestoreDeployedAppsAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IFerryStore>();
        var code = services.GetRequiredService<CodeStore>();
        var live = services.GetRequiredService<LiveApps>();
        var options = services.GetRequiredService<FerryServerOptions>();

        var removed = code.CollectGarbage(await store.ListReferencedArtifactsAsync(cancellationToken));
        if (removed > 0)
        {
            LogCollected(logger, removed);
        }

        foreach (var appStage in await store.ListAppStagesAsync(null, cancellationToken))
        {
            if (appStage.ActiveRevisionId is not { } revisionId || await store.GetRevisionAsync(revisionId, cancellationToken) is not { } revision)
            {
                continue;
            }

            try
            {
                var manifest = ServiceManifestJson.Deserialize(revision.ManifestJson);
                var directory = await code.EnsureExtractedAsync(revision.ArtifactSha256,
                    new ArchiveLimits { MaxTotalBytes = options.MaxArchiveBytes * 8 }, cancellationToken);
                var resources = await services.GetRequiredService<AppResources>().ProvisionAsync(appStage.Tenant, manifest, cancellationToken, restoring: true);
                live.Activate(appStage, revision, manifest, directory, resources);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRestoreFailed(logger, ex, appStage.Service, appStage.Stage, appStage.Region, revision.Number);
            }
        }
    }

    /// <summary>
    /// SQLite database folders are the only host folders sandboxes write: their root is mounted noexec (with nosuid
    /// and nodev), so nothing a function leaves there can be executed. Needs root; without it (or without a sandbox)
    /// the folders are only as protected as their owner and mode make them.
    /// </summary>
    private static NoExecFolder? MountDataFoldersNoExec(ISandbox sandbox, FerryServerOptions options, string dataDirectory, ILogger logger)
    {
        if (sandbox is not BubblewrapSandbox || options.DatabaseServer is not null || !Environment.IsPrivilegedProcess)
        {
            return null;
        }

        var folder = Path.Combine(dataDirectory, "databases");
        try
        {
            return NoExecFolder.Mount(folder);
        }
        catch (IOException ex)
        {
            LogNoExecFailed(logger, folder, ex.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Functions' database folders under {Folder} are not mounted noexec: {Reason}")]
    private static partial void LogNoExecFailed(ILogger logger, string folder, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Ferry cannot start: {Reason}")]
    private static partial void LogCannotStart(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "*** --insecure-no-sandbox: functions run as plain processes with Ferry's own rights. They can read every file this server can, including other apps' code and the data folder. Never use this with code you do not trust. ***")]
    private static partial void LogInsecure(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ferry starting: data in {DataDirectory}, store: {Store}, sandbox: {Sandbox}")]
    private static partial void LogStarting(ILogger logger, string dataDirectory, string store, string sandbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ferry is ready on {Urls}")]
    private static partial void LogListening(ILogger logger, string urls);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} archives that no revision uses")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not restore {Service}/{Stage}@{Region} revision {Revision}; it is not served")]
    private static partial void LogRestoreFailed(ILogger logger, Exception exception, string service, string stage, string region, int revision);
}

/// <summary>A built server; disposing stops the runtime (instances, pipelines) in order.</summary>
internal sealed class FerryServerApp(WebApplication app) : IAsyncDisposable
{
    public WebApplication App { get; } = app;

    public IServiceProvider Services => App.Services;

    public Task StartAsync(CancellationToken cancellationToken) => App.StartAsync(cancellationToken);

    public async Task StopAsync() => await App.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await App.Services.GetRequiredService<LiveApps>().DisposeAsync();
        await App.Services.GetRequiredService<RuntimeApiHost>().DisposeAsync();
        await App.Services.GetRequiredService<LogPipeline>().DisposeAsync();
        await App.Services.GetRequiredService<InvocationRecorder>().DisposeAsync();
        await App.Services.GetRequiredService<IFerryStore>().DisposeAsync();
        var mounts = App.Services.GetRequiredService<DataFolderMounts>();
        await App.DisposeAsync();
        mounts.NoExec?.Dispose();
    }
}

/// <summary>Mounts the server made for its data folders, released when it stops.</summary>
internal sealed record DataFolderMounts(NoExecFolder? NoExec);
