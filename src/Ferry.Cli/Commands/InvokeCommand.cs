using System.CommandLine;
using System.Text.Json;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry invoke</c>: calls a function with an event and prints its result.</summary>
internal static class InvokeCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
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
        var target = new AppTargetOptions();
        var output = CommonOptions.Output();

        var command = new Command("invoke", "Invoke a function with an event and print what it returned") { function, data, path };
        target.AddTo(command);
        command.Options.Add(output);
        command.Validators.Add(result =>
        {
            if (result.GetResult(data) is not null && result.GetResult(path) is not null)
            {
                result.AddError("Pass the event with either --data or --path, not both.");
            }
        });
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var eventJson = await ReadEventAsync(parseResult.GetValue(data), parseResult.GetValue(path), context, cancellationToken);
            var app = target.Resolve(parseResult, context);
            var name = parseResult.GetRequiredValue(function);
            using var client = globals.CreateClient(parseResult, context);
            var invocation = await client.InvokeAsync(app, name, eventJson, cancellationToken);
            return Render(invocation, name, new CliOutput(context, parseResult.GetValue(output)), context);
        });
        return command;
    }

    /// <summary>The event to send: --data, else the --path file's content, else <c>{}</c>; it must be valid JSON.</summary>
    internal static async Task<string> ReadEventAsync(string? data, string? path, CliContext context, CancellationToken cancellationToken)
    {
        string json;
        string source;
        if (path is not null)
        {
            var fullPath = context.ResolvePath(path);
            try
            {
                json = await File.ReadAllTextAsync(fullPath, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliUserException($"Cannot read the event file {fullPath}: {e.Message}", e);
            }

            source = fullPath;
        }
        else
        {
            json = data ?? "{}";
            source = "--data";
        }

        try
        {
            using var _ = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CliUserException($"The event in {source} is not valid JSON: {e.Message}", e);
        }

        return json;
    }

    /// <summary>Prints the function's result; a function error goes to stderr and exits with 1.</summary>
    internal static int Render(FunctionInvocation invocation, string function, CliOutput cli, CliContext context)
    {
        if (invocation.Failed)
        {
            var label = Ansi.Paint("error:", AnsiStyle.Red, context.ColorError);
            var request = invocation.RequestId is { } id ? $", request {id}" : "";
            context.Error.WriteLine($"{label} function {function} failed ({invocation.FunctionError}{request}):");
            context.Error.WriteLine(DescribeFunctionError(invocation.Body));
            return ExitCodes.UserError;
        }

        cli.WriteLine(cli.IsJson ? invocation.Body : CliJson.PrettyPrint(invocation.Body));
        return ExitCodes.Success;
    }

    /// <summary>Lambda-style errors (<c>errorType</c>, <c>errorMessage</c>, <c>stackTrace</c>) as readable lines; anything else as it is.</summary>
    internal static string DescribeFunctionError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorMessage", out var message))
            {
                var type = root.TryGetProperty("errorType", out var errorType) ? errorType.ToString() + ": " : "";
                var lines = new List<string> { "  " + type + message };
                if (root.TryGetProperty("stackTrace", out var stack) && stack.ValueKind == JsonValueKind.Array)
                {
                    lines.AddRange(stack.EnumerateArray().Select(frame => "    " + frame.ToString().Trim()));
                }

                return string.Join(Environment.NewLine, lines);
            }
        }
        catch (JsonException)
        {
            // Not JSON: shown as it is.
        }

        return CliJson.PrettyPrint(body);
    }
}
