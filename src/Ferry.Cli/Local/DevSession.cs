using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Cli.Api;
using Ferry.Cli.Build;
using Ferry.Cli.Commands;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Server.Api;

namespace Ferry.Cli.Local;

/// <summary>What <c>ferry dev</c> deploys: an app folder and its manifest, resolved for one stage and region.</summary>
internal sealed record DevTarget(
    string AppDirectory, string ConfigPath, string? Stage, string? Region, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>Framework build steps run as plain processes, not in the build sandbox.</summary>
    public bool NoBuildSandbox { get; init; }
}

/// <summary>
/// The loop behind <c>ferry dev</c>: deploys the app, then redeploys it whenever a file that goes into the package
/// changes (after a quiet period), while the logs of all its functions stream into the same terminal. A deploy is
/// skipped when the manifest and archive are byte-identical to the last deployed ones (archives are deterministic).
/// A failed deploy is reported and the watch goes on, so the developer can fix the file and save again.
/// </summary>
/// <param name="context">Its writers must be safe to use from several threads (log lines arrive concurrently).</param>
internal sealed class DevSession(DevTarget target, FerryApiClient client, CliContext context)
{
    /// <summary>How long the folder must stay quiet after a change before redeploying.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(150);

    private readonly CliOutput _cli = new(context, OutputFormat.Text);
    private readonly DevLogFormatter _logFormatter = new(new FunctionColors(), context.ColorOut);
    private string? _deployedFingerprint;
    private bool _deployedOnce;
    private LogSubscription? _logs;

    /// <summary>Deploys, then watches and redeploys until <paramref name="cancellationToken"/> fires (Ctrl+C).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var debouncer = new Debouncer(QuietPeriod, context.Time);
        var filter = new AppChangeFilter(target.AppDirectory, target.ConfigPath);
        using var watcher = new AppChangeWatcher(target.AppDirectory, target.ConfigPath, filter, debouncer,
            error => _cli.WriteWarning($"watching {target.AppDirectory} failed: {error.Message}; save again if a change was missed."));
        watcher.Start();
        try
        {
            await DeployAsync(filter, cancellationToken);
            _cli.WriteNote($"Watching {target.AppDirectory} for changes; press Ctrl+C to stop.");
            while (true)
            {
                await debouncer.WaitAsync(cancellationToken);
                await DeployAsync(filter, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: a clean stop.
        }
        finally
        {
            if (_logs is not null)
            {
                await _logs.DisposeAsync();
            }
        }
    }

    /// <summary>One deploy attempt; any failure other than cancellation is printed and swallowed.</summary>
    private async Task DeployAsync(AppChangeFilter filter, CancellationToken cancellationToken)
    {
        try
        {
            var loaded = ManifestReader.Load(context, target.ConfigPath, target.Stage, target.Region, target.Parameters);
            foreach (var warning in loaded.Warnings)
            {
                _cli.WriteWarning(warning.ToString());
            }

            var manifest = await Commands.FrameworkPresetStep.ApplyAsync(loaded.Manifest, target.AppDirectory, _cli, context, target.NoBuildSandbox, cancellationToken);
            manifest = await AppBundler.BuildAsync(manifest, target.AppDirectory, _cli, context, cancellationToken);
            HandlerFileCheck.Run(manifest, target.AppDirectory);
            filter.UsePatterns(manifest.PackagePatterns);
            var manifestJson = ServiceManifestJson.Serialize(manifest);
            await using var archive = CreateTemporaryArchive();
            await AppArchive.CreateAsync(target.AppDirectory, archive, manifest.PackagePatterns, progress: null, cancellationToken);
            var fingerprint = await FingerprintAsync(manifestJson, archive, cancellationToken);
            if (fingerprint == _deployedFingerprint)
            {
                _cli.WriteNote("No changes; nothing to redeploy.");
                return;
            }

            archive.Position = 0;
            var stopwatch = Stopwatch.StartNew();
            var result = await client.DeployAsync(manifestJson, archive, uploadProgress: null, cancellationToken);
            var elapsed = stopwatch.Elapsed;
            _deployedFingerprint = fingerprint;
            foreach (var warning in result.Warnings)
            {
                _cli.WriteWarning(warning);
            }

            Report(result, elapsed);
            _logFormatter.UseFunctions([.. manifest.Functions.Select(f => f.Name)]);
            await FollowLogsAsync(new AppTarget(result.Service, result.Stage, result.Region), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ErrorReporter.Report(e, context, cancellationToken);
            _cli.WriteNote("Still watching: fix the problem and save again.");
        }
    }

    private void Report(DeploymentResult result, TimeSpan elapsed)
    {
        var milliseconds = elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        if (_deployedOnce)
        {
            _cli.WriteLine(_cli.Paint($"Redeployed in {milliseconds} ms (revision {result.Revision})", AnsiStyle.Green));
            return;
        }

        _deployedOnce = true;
        _cli.WriteLine(_cli.Paint(
            $"Deployed {result.Service} (stage {result.Stage}, region {result.Region}) revision {result.Revision} in {milliseconds} ms", AnsiStyle.Green));
        _cli.WriteLine($"Base URL: {result.BaseUrl}");
        AppRendering.WriteRoutes(result.Routes, _cli);
    }

    /// <summary>Follows <paramref name="app"/>'s logs, unless that is already being done (a redeploy keeps the stream).</summary>
    private async Task FollowLogsAsync(AppTarget app, CancellationToken cancellationToken)
    {
        if (_logs is { IsActive: true } current && current.App == app)
        {
            return;
        }

        if (_logs is not null)
        {
            await _logs.DisposeAsync();
        }

        _logs = LogSubscription.Start(app, client, context, line =>
        {
            context.Out.WriteLine(_logFormatter.Format(line));
            context.Out.Flush();
        }, cancellationToken);
    }

    private static FileStream CreateTemporaryArchive() => new(
        Path.Combine(Path.GetTempPath(), $"ferry-dev-{Guid.NewGuid():N}.zip"),
        FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 81920,
        FileOptions.Asynchronous | FileOptions.DeleteOnClose);

    /// <summary>SHA-256 over the resolved manifest and the archive: equal fingerprints deploy the same revision content.</summary>
    internal static async Task<string> FingerprintAsync(string manifestJson, Stream archive, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(manifestJson));
        hash.AppendData([0]);
        archive.Position = 0;
        var buffer = new byte[81920];
        int read;
        while ((read = await archive.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A <see cref="LogFollower"/> running in the background for one app, until disposed or refused by the server.</summary>
    private sealed class LogSubscription : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _following;

        private LogSubscription(AppTarget app, CancellationTokenSource stop, Task following)
        {
            App = app;
            _stop = stop;
            _following = following;
        }

        public AppTarget App { get; }

        public bool IsActive => !_following.IsCompleted;

        public static LogSubscription Start(
            AppTarget app, FerryApiClient client, CliContext context, Action<LogLine> onLine, CancellationToken cancellationToken)
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var follower = new LogFollower(client, app, function: null, context.Error, context.Delay);
            var following = Task.Run(async () =>
            {
                try
                {
                    await follower.FollowAsync(after: null, onLine, stop.Token);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // A 4xx (the app was removed meanwhile): say so; the next successful deploy starts a new stream.
                    ErrorReporter.Report(e, context, stop.Token);
                    context.Error.WriteLine("The log stream stopped; it restarts with the next successful deploy.");
                }
            }, CancellationToken.None);
            return new LogSubscription(app, stop, following);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _following;
            }
            catch (OperationCanceledException)
            {
                // Stopped as asked.
            }

            _stop.Dispose();
        }
    }
}
