using System.CommandLine;
using Ferry.Cli.Build;
using Ferry.Cli.Local;
using Ferry.Cli.Options;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry invoke local</c>: runs an event function on this machine in Ferry's own runtime loop, with a throwaway
/// Runtime API instead of a server. The result goes to stdout; the function's output goes to stderr.
/// </summary>
internal static class InvokeLocalCommand
{
    private const string Summary = """
        Run a function on this machine, without a server, in the same runtime loop Ferry uses, and print its result.
        The function is NOT sandboxed: it runs as you, with your files, network and environment, plus its
        serverless.yml environment and the AWS_LAMBDA_* variables. Its output is shown on stderr, its result on stdout.
        """;

    public static Command Create(CliContext context)
    {
        var function = new Option<string>("--function", "-f")
        {
            Description = "Name of the function (its key under functions: in serverless.yml)",
            HelpName = "name",
            Required = true,
        };
        var data = new Option<string?>("--data", "-d")
        {
            Description = "The event, as JSON (default: {})",
            HelpName = "json",
        };
        var path = new Option<string?>("--path", "-p")
        {
            Description = "File holding the event JSON",
            HelpName = "file",
        };
        var stage = CommonOptions.Stage();
        var region = CommonOptions.Region();
        var config = CommonOptions.Config();
        var parameters = CommonOptions.Params();
        var directory = new Option<string?>("--dir")
        {
            Description = "App folder, the function's LAMBDA_TASK_ROOT (default: the current folder)",
            HelpName = "dir",
        };
        var output = CommonOptions.Output();

        var command = new Command("local", Summary) { function, data, path, stage, region, config, parameters, directory, output };
        command.Validators.Add(result =>
        {
            if (result.GetResult(data) is not null && result.GetResult(path) is not null)
            {
                result.AddError("Pass the event with either --data or --path, not both.");
            }
        });
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var eventJson = await InvokeCommand.ReadEventAsync(parseResult.GetValue(data), parseResult.GetValue(path), context, cancellationToken);
            var (appDirectory, configPath) = CommonOptions.ResolveApp(parseResult, context, directory, config);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            var loaded = ManifestReader.Load(
                context, configPath, parseResult.GetValue(stage), parseResult.GetValue(region), parseResult.GetRequiredValue(parameters));
            foreach (var warning in loaded.Warnings)
            {
                cli.WriteWarning(warning.ToString());
            }

            var name = parseResult.GetRequiredValue(function);
            var manifest = await AppBundler.BuildAsync(loaded.Manifest, appDirectory, cli, context, cancellationToken);
            var local = LocalFunction.Find(manifest, name, appDirectory, LocalFunction.DefaultRuntimeDirectory);
            var prefix = Ansi.Paint($"{name} |", AnsiStyle.Dim, context.ColorError);
            var runner = new LocalFunctionRunner(context.Time);
            var outputGate = new Lock();
            var result = await runner.InvokeAsync(local, eventJson, line =>
            {
                lock (outputGate)
                {
                    context.Error.WriteLine($"{prefix} {line.Text}");
                }
            }, cancellationToken);
            if (result.ErrorType == LocalInvocationResult.TimeoutErrorType)
            {
                cli.WriteNote($"Function {name} was killed at its timeout of {local.Function.Timeout} s (timeout: in serverless.yml).");
            }

            return InvokeCommand.Render(result.ToFunctionInvocation(), name, cli, context);
        });
        return command;
    }
}
