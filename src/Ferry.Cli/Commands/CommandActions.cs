using System.CommandLine;

namespace Ferry.Cli.Commands;

internal static class CommandActions
{
    /// <summary>Sets <paramref name="action"/> as the command's action; any exception it throws is reported by <see cref="ErrorReporter"/>.</summary>
    public static void SetReportingAction(this Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> action)
        => command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken);
            }
            catch (Exception e)
            {
                return ErrorReporter.Report(e, context, cancellationToken);
            }
        });
}
