using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry remove</c>: deletes a deployed app with all its revisions and logs.</summary>
internal static class RemoveCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var target = new AppTargetOptions();
        var yes = new Option<bool>("--yes", "-y")
        {
            Description = "Do not ask for confirmation (needed when stdin is not a terminal)",
        };
        var command = new Command("remove", "Remove a deployed app: stops its instances and deletes its revisions");
        target.AddTo(command);
        command.Options.Add(yes);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            if (!parseResult.GetValue(yes) && !await ConfirmAsync(app.ToString(), context, cancellationToken))
            {
                context.Error.WriteLine("Not removed.");
                return ExitCodes.UserError;
            }

            using var client = globals.CreateClient(parseResult, context);
            await client.RemoveAppAsync(app, cancellationToken);
            context.Out.WriteLine(Ansi.Paint($"Removed {app}", AnsiStyle.Green, context.ColorOut));
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<bool> ConfirmAsync(string app, CliContext context, CancellationToken cancellationToken)
    {
        if (!context.InIsTerminal)
        {
            throw new CliUserException($"Refusing to remove {app} without confirmation; pass --yes.");
        }

        context.Error.Write($"Remove {app} and all its revisions? [y/N] ");
        var answer = await context.In.ReadLineAsync(cancellationToken);
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }
}
