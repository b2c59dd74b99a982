using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Build;
using Ferry.Cli.DeployCache;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry deploy</c>: resolves serverless.yml, zips the app folder and uploads both as a new revision; when nothing
/// changed since the last deploy from here, only asks the server to confirm it (<see cref="UnchangedDeployShortcut"/>).
/// </summary>
internal static class DeployCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var stage = CommonOptions.Stage();
        var region = CommonOptions.Region();
        var config = CommonOptions.Config();
        var parameters = CommonOptions.Params();
        var directory = new Option<string?>("--dir")
        {
            Description = "App folder to package (default: the current folder)",
            HelpName = "dir",
        };
        var output = CommonOptions.Output();
        var force = new Option<bool>("--force")
        {
            Description = "Make a new revision even when the package and manifest are unchanged (its functions start cold)",
        };

        var noBuildSandbox = CommonOptions.NoBuildSandbox();
        var command = new Command("deploy", "Package the app folder and deploy it with its serverless.yml as a new revision")
        {
            stage, region, config, parameters, directory, output, force, noBuildSandbox,
        };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var (appDirectory, configPath) = CommonOptions.ResolveApp(parseResult, context, directory, config);
            var request = new DeployRequest(
                appDirectory,
                configPath,
                parseResult.GetValue(stage),
                parseResult.GetValue(region),
                parseResult.GetRequiredValue(parameters))
            {
                Force = parseResult.GetValue(force),
                NoBuildSandbox = parseResult.GetValue(noBuildSandbox),
            };

            var cli = new CliOutput(context, parseResult.GetValue(output));
            using var client = globals.CreateClient(parseResult, context);
            if (!File.Exists(configPath) && parseResult.GetValue(config) is null
                && ComponentAppDeploy.FindInDeployOrder(appDirectory) is { Count: > 0 } components)
            {
                // The root of a multi-component app: each sub-folder is one component.
                var results = await ComponentAppDeploy.DeployAsync(components, request, client, cli, context, cancellationToken);
                if (cli.IsJson)
                {
                    cli.WriteJson(results);
                    return ExitCodes.Success;
                }

                foreach (var deployed in results)
                {
                    Render(deployed, cli);
                }

                return ExitCodes.Success;
            }

            // The deploy cache: an app deployed from here before, with nothing it read changed since, is only checked
            // with the server (no build, no package, no upload). --force always deploys in full.
            var cache = DeployCacheStore.For(context);
            var key = cache is null ? null
                : DeployCacheKey.For(client.ServerUrl, context.Environment(GlobalOptions.TokenVariable), appDirectory, configPath, request.Stage, request.Region);
            if (cache is not null && key is not null && !request.Force
                && await UnchangedDeployShortcut.TryAsync(cache, key, appDirectory, configPath, request.Parameters, client, cli, context, cancellationToken) is { } kept)
            {
                Render(kept, cli);
                return ExitCodes.Success;
            }

            var recorder = cache is null ? null : new DeployInputRecorder(context);
            var result = await DeployAsync(request with { Recorder = recorder }, client, cli, context, cancellationToken);
            if (cache is not null && key is not null && recorder is not null)
            {
                UnchangedDeployShortcut.Remember(cache, key, recorder, result, cli, context);
            }

            Render(result, cli);
            return ExitCodes.Success;
        });
        return command;
    }

    internal sealed record DeployRequest(
        string AppDirectory, string ConfigPath, string? Stage, string? Region, IReadOnlyDictionary<string, string> Parameters)
    {
        /// <summary>Outputs of components deployed before this one, for a Components file's <c>${output:…}</c>.</summary>
        public Func<Manifest.Components.ComponentOutputReference, string?>? ComponentOutput { get; init; }

        /// <summary>A new revision even when nothing changed.</summary>
        public bool Force { get; init; }

        /// <summary>Framework build steps run as plain processes, not in the build sandbox.</summary>
        public bool NoBuildSandbox { get; init; }

        /// <summary>Notes what the deploy reads, for the deploy cache; null when the cache is not used.</summary>
        public DeployInputRecorder? Recorder { get; init; }
    }

    internal static async Task<DeploymentResult> DeployAsync(
        DeployRequest request, FerryApiClient client, CliOutput cli, CliContext context, CancellationToken cancellationToken)
    {
        var loaded = ManifestReader.Load(context, request.ConfigPath, request.Stage, request.Region, request.Parameters, request.ComponentOutput, request.Recorder);
        foreach (var warning in loaded.Warnings)
        {
            cli.WriteWarning(warning.ToString());
        }

        var preset = await FrameworkPresetStep.ApplyAsync(loaded.Manifest, request.AppDirectory, cli, context, request.NoBuildSandbox, cancellationToken);
        var manifest = await AppBundler.BuildAsync(preset, request.AppDirectory, cli, context, cancellationToken);
        var built = !ReferenceEquals(preset, loaded.Manifest) || !ReferenceEquals(manifest, preset);
        HandlerFileCheck.Run(manifest, request.AppDirectory);
        var archivePath = Path.Combine(Path.GetTempPath(), $"ferry-deploy-{Guid.NewGuid():N}.zip");
        await using var archive = new FileStream(
            archivePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 81920,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);

        var summary = await PackageAsync(request.AppDirectory, manifest, archive, cli, cancellationToken);
        request.Recorder?.Packaged(request.AppDirectory, request.ConfigPath, request.Parameters, built, manifest.PackagePatterns, cancellationToken);
        archive.Position = 0;
        var upload = cli.StartStatus();
        var total = ByteSize.Format(summary.ArchiveBytes);
        DeploymentResult result;
        try
        {
            result = await client.DeployAsync(
                ServiceManifestJson.Serialize(manifest),
                archive,
                new SynchronousProgress<long>(sent => upload.Update($"Uploading… {ByteSize.Format(sent)} of {total}")),
                cancellationToken,
                force: request.Force);
        }
        finally
        {
            upload.Clear();
        }

        foreach (var warning in result.Warnings)
        {
            cli.WriteWarning(warning);
        }

        return result;
    }

    private sealed record PackageSummary(int FileCount, long ContentBytes, long ArchiveBytes);

    private static async Task<PackageSummary> PackageAsync(
        string appDirectory, ServiceManifest manifest, FileStream archive, CliOutput cli, CancellationToken cancellationToken)
    {
        var status = cli.StartStatus();
        var progress = new SynchronousProgress<ArchiveProgress>(
            p => status.Update($"Packaging… {p.Files} files, {ByteSize.Format(p.Bytes)}"));
        ArchiveSummary summary;
        try
        {
            summary = await AppArchive.CreateAsync(appDirectory, archive, manifest.PackagePatterns, progress, cancellationToken);
            await archive.FlushAsync(cancellationToken);
        }
        catch
        {
            status.Clear();
            throw;
        }

        status.Complete(
            $"Packaged {manifest.Service}: {summary.FileCount} files, {ByteSize.Format(summary.TotalBytes)} ({ByteSize.Format(archive.Length)} zipped)");
        return new PackageSummary(summary.FileCount, summary.TotalBytes, archive.Length);
    }

    private static void Render(DeploymentResult result, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(result);
            return;
        }

        cli.WriteLine(cli.Paint(result.Unchanged
            ? $"Unchanged: {result.Service} (stage {result.Stage}, region {result.Region}) stays at revision {result.Revision}; nothing was redeployed"
            : $"Deployed {result.Service} (stage {result.Stage}, region {result.Region}) revision {result.Revision}", AnsiStyle.Green));
        cli.WriteLine($"Base URL: {result.BaseUrl}");
        AppRendering.WriteRoutes(result.Routes, cli);
        if (result.Domains is { Count: > 0 } domains)
        {
            cli.WriteLine("Custom domains (the app's routes at their own paths):");
            foreach (var domain in domains)
            {
                cli.WriteLine($"  {domain.Url}");
            }
        }

        AppRendering.WriteFunctions(result.Functions, cli);
        if (result.ApiKeys is { Count: > 0 } keys)
        {
            cli.WriteLine("API keys created (send one as the x-api-key header; generated keys are not shown again):");
            foreach (var key in keys)
            {
                cli.WriteLine($"  {key.Name}: {key.Value ?? "(the value in serverless.yml)"}");
            }
        }
    }
}
