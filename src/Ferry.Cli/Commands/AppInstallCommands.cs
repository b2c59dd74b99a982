using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Hub;
using Ferry.Manifest;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry app install | list | upgrade | rollback</c>: apps installed from templates.</summary>
internal static class AppInstallCommands
{
    private const string UpgradedOutcome = "upgraded";
    private const string RolledBackOutcome = "rolled_back";

    /// <summary>The hub that is the server itself (<c>GET /api/v1/hubs</c> always lists it).</summary>
    private const string LocalHub = "local";

    private const string Description = """
        Install apps from templates, upgrade them and roll them back

        Examples:
          ferry app install image-resizer --param size=large --param-file secrets.env
          ferry app install image-resizer@1.0.0 --name thumbs --stage prod --hub acme
          ferry app list                                 installed apps and available updates
          ferry app upgrade thumbs --stage prod          to the newest approved version (rolls back if it fails)
          ferry app rollback thumbs --stage prod         back to the previous version
        """;

    public static Command Create(CliContext context, GlobalOptions globals) => new("app", Description)
    {
        Install(context, globals),
        List(context, globals),
        Upgrade(context, globals),
        Rollback(context, globals),
    };

    private static Option<string?> StageOption() => new("--stage", "-s") { Description = $"Stage of the app (default {ManifestDefaults.Stage})" };

    private static Option<string?> RegionOption() => new("--region", "-r") { Description = $"Region of the app (default {ManifestDefaults.Region})" };

    private static Argument<string> ServiceArgument() => new("name") { Description = "Service name of the installed app (see `ferry app list`)" };

    private static Command Install(CliContext context, GlobalOptions globals)
    {
        var template = TemplateReference.Argument("template", versionRequired: false,
            "Template to install, as NAME or NAME@VERSION (default: the newest approved version)");
        var name = new Option<string?>("--name") { Description = "Service name of the app (default: the template's service name)", HelpName = "name" };
        var stage = StageOption();
        var region = RegionOption();
        var hub = new Option<string?>("--hub") { Description = "Hub to install from (default: local, this server; see `ferry hub list`)", HelpName = "name" };
        var parameters = new InstallParameterOptions();
        var output = CommonOptions.Output();
        var command = new Command("install", """
            Install a template as an app: the server fetches the signed package, checks it and deploys it with your parameters

            Examples:
              ferry app install image-resizer --param size=large
              ferry app install image-resizer@1.0.0 --name thumbs --stage prod --param-file thumbs.env
            """) { template, name, stage, region, hub };
        parameters.AddTo(command);
        command.Options.Add(output);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(template)!;
            var request = new InstallRequest(
                reference.Name,
                reference.Version,
                parseResult.GetValue(hub),
                parseResult.GetValue(name),
                parseResult.GetValue(stage),
                parseResult.GetValue(region),
                await parameters.ResolveAsync(parseResult, context, cancellationToken));

            var cli = new CliOutput(context, parseResult.GetValue(output));
            using var client = globals.CreateClient(parseResult, context);
            var progress = cli.StartStatus();
            progress.Update($"Installing {reference}…");
            InstallInfo installed;
            try
            {
                installed = await client.PostWithoutTimeoutAsync<InstallRequest, InstallInfo>("installs", request, cancellationToken);
            }
            finally
            {
                progress.Clear();
            }

            if (cli.IsJson)
            {
                cli.WriteJson(installed);
                return ExitCodes.Success;
            }

            cli.WriteLine(cli.Paint(
                $"Installed {installed.Template}@{installed.Version} as {installed.Service} (stage {installed.Stage}, region {installed.Region}){Revision(installed)}",
                AnsiStyle.Green));
            cli.WriteLine($"Base URL: {installed.BaseUrl}");
            await WriteRoutesAsync(installed, client, cli, cancellationToken);
            cli.WriteLine();
            TemplateRendering.WriteParameterValues(installed.Parameters, cli);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The installed app's routes; the install succeeded even when they can't be listed.</summary>
    private static async Task WriteRoutesAsync(InstallInfo installed, FerryApiClient client, CliOutput cli, CancellationToken cancellationToken)
    {
        try
        {
            var app = await client.GetAppAsync(new AppTarget(installed.Service, installed.Stage, installed.Region), cancellationToken);
            AppRendering.WriteRoutes(app.Routes, cli);
        }
        catch (Exception e) when (e is FerryApiException or FerryUnreachableException or InvalidDataException)
        {
            cli.WriteWarning($"cannot list the routes of {installed.Service}: {e.Message}");
        }
    }

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "List the apps installed from templates, with available updates") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var installs = await client.GetJsonAsync<List<InstallInfo>>("installs", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(installs);
                return ExitCodes.Success;
            }

            if (installs.Count == 0)
            {
                cli.WriteLine("No apps installed from templates yet; see `ferry template list` and `ferry app install`.");
                return ExitCodes.Success;
            }

            var table = new TextTable("SERVICE", "STAGE", "TEMPLATE", "VERSION", "STATUS");
            foreach (var install in installs.OrderBy(i => i.Service, StringComparer.Ordinal).ThenBy(i => i.Stage, StringComparer.Ordinal))
            {
                var template = install.Hub == LocalHub ? install.Template : $"{install.Hub}/{install.Template}";
                var status = install.UpdateAvailable is { } newer ? $"update available ({install.Version} → {newer})" : "up to date";
                table.AddRow(install.Service, install.Stage, template, install.Version, status);
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Upgrade(CliContext context, GlobalOptions globals)
    {
        var service = ServiceArgument();
        var stage = StageOption();
        var region = RegionOption();
        var to = new Option<string?>("--to") { Description = "Version to upgrade to (default: the newest approved version)", HelpName = "version" };
        to.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } version && !SemanticVersion.TryParse(version, out _, out var problem))
            {
                result.AddError($"--to '{version}' is not a valid version: {problem}");
            }
        });
        var parameters = new InstallParameterOptions();
        var output = CommonOptions.Output();
        var command = new Command("upgrade", """
            Upgrade an installed app to a newer template version. The changelog is shown first; when the new revision
            fails its health check or error budget, the server rolls back and this command exits with code 1.

            Examples:
              ferry app upgrade thumbs --stage prod
              ferry app upgrade thumbs --to 1.1.0 --param size=large
            """) { service, stage, region, to };
        parameters.AddTo(command);
        command.Options.Add(output);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = new AppTarget(parseResult.GetValue(service)!, parseResult.GetValue(stage) ?? ManifestDefaults.Stage, parseResult.GetValue(region) ?? ManifestDefaults.Region);
            var target = parseResult.GetValue(to);
            var request = new UpgradeRequest(target, await parameters.ResolveAsync(parseResult, context, cancellationToken));
            var cli = new CliOutput(context, parseResult.GetValue(output));
            using var client = globals.CreateClient(parseResult, context);

            if (!cli.IsJson)
            {
                var installs = await client.GetJsonAsync<List<InstallInfo>>("installs", cancellationToken);
                if (installs.FirstOrDefault(i => i.Service == app.Service && i.Stage == app.Stage && i.Region == app.Region) is { } current)
                {
                    WriteChangelog(current, target, cli);
                }
            }

            var progress = cli.StartStatus();
            progress.Update($"Upgrading {app}…");
            UpgradeResult result;
            try
            {
                result = await client.PostWithoutTimeoutAsync<UpgradeRequest, UpgradeResult>(InstallPath(app, "upgrade"), request, cancellationToken);
            }
            finally
            {
                progress.Clear();
            }

            return RenderUpgrade(result, cli);
        });
        return command;
    }

    /// <summary>The changelog entries between the installed version and <paramref name="target"/> (or the newest).</summary>
    private static void WriteChangelog(InstallInfo current, string? target, CliOutput cli)
    {
        SemanticVersion.TryParse(current.Version, out var installed);
        SemanticVersion.TryParse(target, out var upTo);
        var entries = current.Changelog
            .Select(entry => (Entry: entry, Version: SemanticVersion.TryParse(entry.Version, out var parsed) ? parsed : null))
            .Where(e => e.Version is null || ((installed is null || e.Version > installed) && (upTo is null || e.Version <= upTo)))
            .OrderBy(e => e.Version)
            .ToList();
        if (entries.Count == 0)
        {
            return;
        }

        cli.WriteHeading($"Changelog of {current.Template} since {current.Version}");
        foreach (var (entry, _) in entries)
        {
            cli.WriteLine($"  {entry.Version}");
            var text = string.IsNullOrWhiteSpace(entry.Changelog) ? "(no changelog)" : entry.Changelog.Trim();
            foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
            {
                cli.WriteLine("    " + line);
            }
        }

        cli.WriteLine();
    }

    private static int RenderUpgrade(UpgradeResult result, CliOutput cli)
    {
        var exitCode = result.Outcome switch
        {
            UpgradedOutcome => ExitCodes.Success,
            RolledBackOutcome => ExitCodes.UserError,
            _ => throw new InvalidDataException($"The server reported the upgrade outcome '{result.Outcome}'; expected '{UpgradedOutcome}' or '{RolledBackOutcome}'."),
        };
        if (cli.IsJson)
        {
            cli.WriteJson(result);
            return exitCode;
        }

        var service = result.Install.Service;
        if (exitCode == ExitCodes.Success)
        {
            cli.WriteLine(cli.Paint($"Upgraded {service} {result.FromVersion} → {result.ToVersion}", AnsiStyle.Green));
            cli.WriteLine($"Base URL: {result.Install.BaseUrl}");
        }
        else
        {
            cli.WriteLine(cli.Paint($"Rolled back {service} to {result.FromVersion}: {result.Reason ?? "the new revision failed"}", AnsiStyle.Red));
        }

        return exitCode;
    }

    private static Command Rollback(CliContext context, GlobalOptions globals)
    {
        var service = ServiceArgument();
        var stage = StageOption();
        var region = RegionOption();
        var output = CommonOptions.Output();
        var command = new Command("rollback", """
            Roll an installed app back to the template version it ran before its last upgrade

            Example:
              ferry app rollback thumbs --stage prod
            """) { service, stage, region, output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = new AppTarget(parseResult.GetValue(service)!, parseResult.GetValue(stage) ?? ManifestDefaults.Stage, parseResult.GetValue(region) ?? ManifestDefaults.Region);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            using var client = globals.CreateClient(parseResult, context);
            var install = await client.PostWithoutTimeoutAsync<object, InstallInfo>(InstallPath(app, "rollback"), null, cancellationToken);
            if (cli.IsJson)
            {
                cli.WriteJson(install);
            }
            else
            {
                cli.WriteLine($"Rolled back {install.Service} (stage {install.Stage}) to {install.Template}@{install.Version}{Revision(install)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string InstallPath(AppTarget app, string action)
        => $"installs/{Uri.EscapeDataString(app.Service)}/{Uri.EscapeDataString(app.Stage)}/{action}?region={Uri.EscapeDataString(app.Region)}";

    private static string Revision(InstallInfo install) => install.Revision is { } revision ? $", revision {revision}" : "";
}
