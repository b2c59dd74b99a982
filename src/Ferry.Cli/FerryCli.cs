using System.CommandLine;
using System.CommandLine.Invocation;
using Ferry.Cli.Commands;
using Ferry.Cli.Options;
using Ferry.Cli.Output;

namespace Ferry.Cli;

/// <summary>The <c>ferry</c> command line: builds the command tree and runs it.</summary>
internal static class FerryCli
{
    private const string Description = """
        Ferry: deploy and run serverless.yml apps on your own machine.

        Examples:
          ferry server                                 start the server (API and gateway) on http://127.0.0.1:8080
          ferry init express --name shop               create ./shop from the Express starter (ferry init lists them)
          ferry deploy --stage dev                     package ./ and deploy it as stage dev
          ferry deploy --param domain=example.test     deploy with a ${param:domain} value
          ferry info                                   functions, routes and revisions of ./serverless.yml's app
          ferry invoke -f hello --data '{"name":"x"}'  call a function with an event
          ferry invoke local -f hello --data '{}'      run a function on this machine, without a server
          ferry dev --stage dev                        deploy, redeploy on every save, and stream all logs
          ferry logs -f hello --tail --since 10m       recent logs, then follow live ones
          ferry apps --output json                     every deployed app, as JSON
          ferry remove --stage dev --yes               delete the app and its revisions
          ferry apikey create partner --stage dev      an API key for the app's 'private: true' routes
          ferry domain add api.example.com --app shop --stage prod    serve the app at https://api.example.com/
          ferry token create --tenant acme --role consumer --name ci    a token for another tenant (admin)
          ferry template publish --changelog 'First version'   sign ./ as a template and submit it for review
          ferry review approve image-resizer@1.0.0     approve a submitted template version (reviewer)
          ferry app install image-resizer --param size=large   install a template as an app
          ferry app upgrade image-resizer --stage dev  upgrade to the newest version; rolls back if it fails

        Environment: FERRY_URL (server URL), FERRY_TOKEN (bearer token), FERRY_DATA (server data folder),
        NO_COLOR (plain output), FERRY_DEBUG=1 (stack traces of unexpected errors).
        """;

    public static RootCommand BuildRootCommand(CliContext context)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(Description);
        root.Options.Add(globals.Url);
        root.Subcommands.Add(ServerCommand.Create(context));
        root.Subcommands.Add(InitCommand.Create(context, globals));
        root.Subcommands.Add(DeployCommand.Create(context, globals));
        root.Subcommands.Add(InfoCommand.Create(context, globals));
        root.Subcommands.Add(AppsCommand.Create(context, globals));
        var invoke = InvokeCommand.Create(context, globals);
        invoke.Subcommands.Add(InvokeLocalCommand.Create(context));
        root.Subcommands.Add(invoke);
        root.Subcommands.Add(LogsCommand.Create(context, globals));
        root.Subcommands.Add(DevCommand.Create(context, globals));
        root.Subcommands.Add(RemoveCommand.Create(context, globals));
        root.Subcommands.Add(UsageCommand.Create(context, globals));
        root.Subcommands.Add(MetricsCommand.Create(context, globals));
        root.Subcommands.Add(AccessCommands.WhoAmI(context, globals));
        root.Subcommands.Add(AccessCommands.Tenant(context, globals));
        root.Subcommands.Add(AccessCommands.Token(context, globals));
        root.Subcommands.Add(TemplateCommands.Create(context, globals));
        root.Subcommands.Add(ReviewCommands.Create(context, globals));
        root.Subcommands.Add(AppInstallCommands.Create(context, globals));
        root.Subcommands.Add(HubCommands.Create(context, globals));
        root.Subcommands.Add(ApiKeyCommands.Create(context, globals));
        root.Subcommands.Add(DomainCommands.Create(context, globals));
        return root;
    }

    /// <summary>
    /// The root command with only <c>deploy</c> under it: an unchanged <c>ferry deploy</c> is meant to be quick (issue
    /// 12), and building every other command's options is most of the CLI's own start-up work before it.
    /// </summary>
    internal static RootCommand BuildDeployCommand(CliContext context)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(Description);
        root.Options.Add(globals.Url);
        root.Subcommands.Add(DeployCommand.Create(context, globals));
        return root;
    }

    /// <summary>True when the command is <c>deploy</c> (the first word, after a leading <c>--url URL</c>).</summary>
    internal static bool IsDeploy(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--url")
            {
                i++;
                continue;
            }

            if (args[i].StartsWith("--url=", StringComparison.Ordinal))
            {
                continue;
            }

            return args[i] == "deploy";
        }

        return false;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = context.TerminationGracePeriod,
        };
        var root = IsDeploy(args) ? BuildDeployCommand(context) : BuildRootCommand(context);
        if (args.Length == 0)
        {
            // Bare `ferry`: show what it can do, but as a usage mistake for scripts.
            await root.Parse(["--help"]).InvokeAsync(configuration, cancellationToken);
            return ExitCodes.UserError;
        }

        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            return ReportParseErrors(parseResult, context);
        }

        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>"ferry template key register": the full path of a (nested) command, for pointers to its --help.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? current = result; current is System.CommandLine.Parsing.CommandResult command; current = current.Parent)
        {
            if (command.Command is not RootCommand)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        return string.Join(' ', ["ferry", .. names]);
    }

    /// <summary>Usage mistakes: each error on its own line and a pointer to --help, instead of the whole help text.</summary>
    private static int ReportParseErrors(ParseResult parseResult, CliContext context)
    {
        var label = Ansi.Paint("error:", AnsiStyle.Red, context.ColorError);
        foreach (var error in parseResult.Errors)
        {
            context.Error.WriteLine($"{label} {error.Message}");
        }

        var command = CommandPath(parseResult.CommandResult);
        context.Error.WriteLine($"Run '{command} --help' for usage.");
        return ExitCodes.UserError;
    }
}
