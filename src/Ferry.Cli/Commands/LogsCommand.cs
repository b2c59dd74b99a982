using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry logs</c>: stored log lines of an app's functions, then optionally live ones.</summary>
internal static class LogsCommand
{
    private const int RequestIdPrefixLength = 8;

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var function = new Option<string?>("--function", "-f")
        {
            Description = "Only this function's lines (default: all functions)",
            HelpName = "name",
        };
        var tail = new Option<bool>("--tail", "-t")
        {
            Description = "Keep following new lines until Ctrl+C (reconnects when the connection drops)",
        };
        var since = CommonOptions.Since(context.Time);
        var filter = new Option<string?>("--filter")
        {
            Description = "Only lines whose message contains this text",
            HelpName = "text",
        };
        var target = new AppTargetOptions();
        var output = CommonOptions.Output();

        var command = new Command("logs", "Show a deployed app's function logs; --tail follows them live")
        {
            function, tail, since, filter,
        };
        target.AddTo(command);
        command.Options.Add(output);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            var functionName = parseResult.GetValue(function);
            var contains = parseResult.GetValue(filter);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            using var client = globals.CreateClient(parseResult, context);

            var lines = await client.GetLogsAsync(
                app, new LogQuery(functionName, Since: parseResult.GetValue(since), Contains: contains), cancellationToken);
            foreach (var line in lines)
            {
                Write(line, cli);
            }

            if (!parseResult.GetValue(tail))
            {
                return ExitCodes.Success;
            }

            var follower = new LogFollower(client, app, functionName, context.Error, context.Delay);
            await follower.FollowAsync(
                lines.Count > 0 ? lines.Max(line => line.Id) : null,
                line =>
                {
                    if (Matches(line, contains))
                    {
                        Write(line, cli);
                        cli.Out.Flush();
                    }
                },
                cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Client-side --filter for live lines (the stored ones are filtered by the server).</summary>
    internal static bool Matches(LogLine line, string? contains)
        => string.IsNullOrEmpty(contains) || line.Message.Contains(contains, StringComparison.OrdinalIgnoreCase);

    internal static void Write(LogLine line, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJsonLine(line);
            return;
        }

        cli.WriteLine(Format(line, cli));
    }

    /// <summary><c>time  function  [request]  message</c>; stderr lines are marked with <c>!</c> (red on a terminal).</summary>
    internal static string Format(LogLine line, CliOutput cli)
    {
        var time = line.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        var request = line.RequestId is { Length: > 0 } id ? id.Length > RequestIdPrefixLength ? id[..RequestIdPrefixLength] : id : "-";
        var isStderr = string.Equals(line.Stream, "stderr", StringComparison.OrdinalIgnoreCase);
        var message = isStderr ? cli.Paint("! " + line.Message, AnsiStyle.Red) : line.Message;
        return $"{cli.Paint(time, AnsiStyle.Dim)}  {cli.Paint(line.Function, AnsiStyle.Cyan)}  [{request.PadRight(RequestIdPrefixLength)}]  {message}";
    }
}
