using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry apps</c>: every app deployed on the server.</summary>
internal static class AppsCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("apps", "List the apps deployed on the Ferry server") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var apps = await client.ListAppsAsync(cancellationToken);
            Render(apps, new CliOutput(context, parseResult.GetValue(output)));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void Render(IReadOnlyList<AppSummary> apps, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(apps);
            return;
        }

        if (apps.Count == 0)
        {
            cli.WriteLine("No apps deployed yet; run `ferry deploy` in an app's folder.");
            return;
        }

        var table = new TextTable("SERVICE", "STAGE", "REGION", "REVISION", "FUNCTIONS", "UPDATED", "URL");
        foreach (var app in apps.OrderBy(a => a.Service, StringComparer.Ordinal).ThenBy(a => a.Stage, StringComparer.Ordinal))
        {
            table.AddRow(
                app.Service,
                app.Stage,
                app.Region,
                app.Revision?.ToString(CultureInfo.InvariantCulture) ?? "-",
                app.FunctionCount.ToString(CultureInfo.InvariantCulture),
                AppRendering.FormatTime(app.UpdatedAt),
                app.BaseUrl);
        }

        cli.WriteTable(table);
    }
}
