using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry remove</c>: deletes a deployed app with all its revisions and logs. Its buckets and databases are kept
/// (deploying again finds them) unless <c>--delete-data</c> says otherwise.
/// </summary>
internal static class RemoveCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var target = new AppTargetOptions();
        var yes = new Option<bool>("--yes", "-y")
        {
            Description = "Do not ask for confirmation (needed when stdin is not a terminal)",
        };
        var deleteData = new Option<bool>("--delete-data")
        {
            Description = "Also delete the app's buckets (with every object) and databases; without it they are kept for a later deploy",
        };
        var command = new Command("remove", "Remove a deployed app: stops its instances and deletes its revisions and logs (its buckets and databases are kept unless --delete-data)");
        target.AddTo(command);
        command.Options.Add(yes);
        command.Options.Add(deleteData);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            // In the root of a multi-component app every component is removed, the last deployed first.
            var apps = target.TargetsComponentApp(parseResult, context)
                && ComponentAppDeploy.FindInDeployOrder(context.WorkingDirectory) is { Count: > 0 } components
                ? [.. components.Reverse().Select(c => AppTargetOptions.TargetOf(context, c.Path, parseResult.GetValue(target.Stage), parseResult.GetValue(target.Region)))]
                : new[] { target.Resolve(parseResult, context) };
            var withData = parseResult.GetValue(deleteData);
            if (!parseResult.GetValue(yes) && !await ConfirmAsync(string.Join(", ", apps.Select(a => a.ToString())), withData, context, cancellationToken))
            {
                context.Error.WriteLine("Not removed.");
                return ExitCodes.UserError;
            }

            using var client = globals.CreateClient(parseResult, context);
            foreach (var app in apps)
            {
                var result = await client.RemoveAppAsync(app, withData, cancellationToken);
                context.Out.WriteLine(Ansi.Paint($"Removed {app}", AnsiStyle.Green, context.ColorOut));
                foreach (var deleted in result.Deleted)
                {
                    context.Out.WriteLine($"  deleted {deleted}");
                }

                if (result.Kept.Count > 0)
                {
                    context.Out.WriteLine($"  kept {string.Join(", ", result.Kept)} (remove with --delete-data to delete them)");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<bool> ConfirmAsync(string app, bool deleteData, CliContext context, CancellationToken cancellationToken)
    {
        if (!context.InIsTerminal)
        {
            throw new CliUserException($"Refusing to remove {app} without confirmation; pass --yes.");
        }

        context.Error.Write(deleteData
            ? $"Remove {app}, all its revisions AND delete its buckets and databases? [y/N] "
            : $"Remove {app} and all its revisions? [y/N] ");
        var answer = await context.In.ReadLineAsync(cancellationToken);
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }
}
