using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry info</c>: a deployed app's functions, routes and revisions.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var target = new AppTargetOptions();
        var output = CommonOptions.Output();
        var command = new Command("info", "Show a deployed app: functions, routes (full URLs), buckets and databases, and revisions");
        target.AddTo(command);
        command.Options.Add(output);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            if (target.TargetsComponentApp(parseResult, context)
                && ComponentAppDeploy.FindInDeployOrder(context.WorkingDirectory) is { Count: > 0 } components)
            {
                using var appClient = globals.CreateClient(parseResult, context);
                await RenderComponentsAsync(components, parseResult.GetValue(target.Stage), parseResult.GetValue(target.Region), appClient,
                    new CliOutput(context, parseResult.GetValue(output)), context, cancellationToken);
                return ExitCodes.Success;
            }

            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var info = await client.GetAppAsync(app, cancellationToken);
            Render(info, new CliOutput(context, parseResult.GetValue(output)));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Each component of a multi-component app: its app stage and the outputs other components can read.</summary>
    private static async Task RenderComponentsAsync(IReadOnlyList<Manifest.Components.ComponentFile> components, string? stage, string? region,
        Api.FerryApiClient client, CliOutput cli, CliContext context, CancellationToken cancellationToken)
    {
        var infos = new List<AppInfo>();
        foreach (var component in components)
        {
            infos.Add(await client.GetAppAsync(AppTargetOptions.TargetOf(context, component.Path, stage, region), cancellationToken));
        }

        if (cli.IsJson)
        {
            cli.WriteJson(infos.Zip(components, (info, component) => new { component = component.Name, outputs = ComponentAppDeploy.OutputsOf(info, component), app = info }));
            return;
        }

        for (var i = 0; i < infos.Count; i++)
        {
            if (i > 0)
            {
                cli.WriteLine();
            }

            cli.WriteLine(cli.Paint($"Component {components[i].Name}", AnsiStyle.Bold));
            cli.WriteHeading("Outputs");
            var outputs = new TextTable("OUTPUT", "VALUE");
            foreach (var (key, value) in ComponentAppDeploy.OutputsOf(infos[i], components[i]))
            {
                outputs.AddRow($"${{output:{infos[i].Stage}:{components[i].App ?? components[i].Name}:{components[i].Name}.{key}}}", value);
            }

            cli.WriteTable(outputs);
            Render(infos[i], cli);
        }
    }

    internal static void Render(AppInfo info, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(info);
            return;
        }

        var revision = info.Revision is { } number ? $"revision {number}" : "no active revision";
        cli.WriteLine(cli.Paint($"{info.Service} (stage {info.Stage}, region {info.Region}) {revision}", AnsiStyle.Bold));
        cli.WriteLine($"Base URL: {info.BaseUrl}");
        cli.WriteLine($"Updated:  {AppRendering.FormatTime(info.UpdatedAt)}");
        AppRendering.WriteRoutes(info.Routes, cli);
        AppRendering.WriteFunctions(info.Functions, cli);
        if (info.Resources is { Count: > 0 } resources)
        {
            cli.WriteLine();
            cli.WriteHeading("Resources");
            var resourceTable = new TextTable("KIND", "NAME", "DETAIL");
            foreach (var resource in resources)
            {
                resourceTable.AddRow(resource.Kind, resource.Name, resource.Detail);
            }

            cli.WriteTable(resourceTable);
        }

        cli.WriteLine();
        cli.WriteHeading("Revisions");
        var table = new TextTable("", "REVISION", "CREATED", "SHA256");
        foreach (var entry in info.Revisions.OrderByDescending(r => r.Number))
        {
            table.AddRow(
                entry.Active ? "*" : "",
                entry.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                AppRendering.FormatTime(entry.CreatedAt),
                entry.ArtifactSha256.Length > 12 ? entry.ArtifactSha256[..12] : entry.ArtifactSha256);
        }

        cli.WriteTable(table);
        cli.WriteLine(cli.Paint("  * active", AnsiStyle.Dim));
    }
}
