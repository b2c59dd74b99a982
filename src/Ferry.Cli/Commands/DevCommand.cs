using System.CommandLine;
using Ferry.Cli.Local;
using Ferry.Cli.Options;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry dev</c>: deploys a stage, redeploys it on every saved change, and streams all its functions' logs.</summary>
internal static class DevCommand
{
    private const string Summary = """
        Watch mode for a stage: deploy the app folder, redeploy it whenever a packaged file or serverless.yml changes
        (unchanged packages are not redeployed), and stream the logs of all its functions, each prefixed with the
        function's name. Deploy errors are shown and the watch goes on. Ctrl+C stops.
        """;

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var stage = CommonOptions.Stage();
        var region = CommonOptions.Region();
        var config = CommonOptions.Config();
        var parameters = CommonOptions.Params();
        var directory = new Option<string?>("--dir")
        {
            Description = "App folder to package and watch (default: the current folder)",
            HelpName = "dir",
        };

        var noBuildSandbox = CommonOptions.NoBuildSandbox();
        var command = new Command("dev", Summary) { stage, region, config, parameters, directory, noBuildSandbox };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var (appDirectory, configPath) = CommonOptions.ResolveApp(parseResult, context, directory, config);
            var target = new DevTarget(
                appDirectory, configPath, parseResult.GetValue(stage), parseResult.GetValue(region), parseResult.GetRequiredValue(parameters))
            {
                NoBuildSandbox = parseResult.GetValue(noBuildSandbox),
            };

            var devContext = WithSynchronizedWriters(context);
            using var client = globals.CreateClient(parseResult, devContext);
            await new DevSession(target, client, devContext).RunAsync(cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The same context with writers that deploy messages and streamed log lines can share between threads.</summary>
    private static CliContext WithSynchronizedWriters(CliContext context) => new()
    {
        Out = TextWriter.Synchronized(context.Out),
        Error = TextWriter.Synchronized(context.Error),
        In = context.In,
        OutIsTerminal = context.OutIsTerminal,
        ErrorIsTerminal = context.ErrorIsTerminal,
        InIsTerminal = context.InIsTerminal,
        Environment = context.Environment,
        WorkingDirectory = context.WorkingDirectory,
        Time = context.Time,
        CreateHttpHandler = context.CreateHttpHandler,
        Delay = context.Delay,
        TerminationGracePeriod = context.TerminationGracePeriod,
    };
}
