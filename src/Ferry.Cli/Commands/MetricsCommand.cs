using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Metering;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry metrics</c>: per-function invocations, errors, cold starts and latency of an app, and its top errors.</summary>
internal static class MetricsCommand
{
    private const int MaxErrorTextLength = 100;

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var since = CommonOptions.Since(context.Time);
        since.Description = "Window start: 30m, 24h, 7d or an ISO 8601 time (default: 24h)";
        var target = new AppTargetOptions();
        var output = CommonOptions.Output();
        var command = new Command("metrics", "Show an app's per-function statistics (errors, cold starts, p50/p95 duration) and its top errors")
        {
            since,
        };
        target.AddTo(command);
        command.Options.Add(output);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var report = await client.GetJsonAsync<ErrorReport>(ErrorsPath(app, parseResult.GetValue(since)), cancellationToken);
            Render(report, new CliOutput(context, parseResult.GetValue(output)));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The API path (relative to /api/v1/) of an app's error report; without <paramref name="since"/> the server's default window applies.</summary>
    internal static string ErrorsPath(AppTarget app, DateTimeOffset? since)
    {
        var path = FerryApiClient.AppPath(app, "/errors",
            [("since", since?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))]);
        return path["api/v1/".Length..];
    }

    internal static void Render(ErrorReport report, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(report);
            return;
        }

        cli.WriteLine(cli.Paint(
            $"{report.Service} (stage {report.Stage}, region {report.Region}) from {AppRendering.FormatTime(report.Since)} to {AppRendering.FormatTime(report.Until)}",
            AnsiStyle.Bold));

        cli.WriteLine();
        cli.WriteHeading("Functions");
        var functions = new TextTable("FUNCTION", "INVOCATIONS", "ERRORS", "ERROR RATE", "COLD STARTS", "P50", "P95", "MAX");
        foreach (var function in report.Functions)
        {
            functions.AddRow(
                function.Function,
                UsageCommand.Count(function.Invocations),
                UsageCommand.Count(function.Errors),
                function.Invocations == 0 ? "-" : function.ErrorRate.ToString("0.0%", CultureInfo.InvariantCulture),
                UsageCommand.Count(function.ColdStarts),
                Duration(function.P50DurationMs),
                Duration(function.P95DurationMs),
                Duration(function.MaxDurationMs));
        }

        cli.WriteTable(functions);

        cli.WriteLine();
        cli.WriteHeading("Top errors");
        if (report.Errors.Count == 0)
        {
            cli.WriteLine("  (no failed invocations in this window)");
            return;
        }

        var errors = new TextTable("COUNT", "FUNCTION", "STATUS", "LAST SEEN", "LAST REQUEST", "ERROR");
        foreach (var error in report.Errors)
        {
            errors.AddRow(
                UsageCommand.Count(error.Count),
                error.Function,
                error.Status.ToString().ToLowerInvariant(),
                AppRendering.FormatTime(error.LastSeen),
                error.LastRequestId,
                cli.Paint(OneLine(error.Error), AnsiStyle.Red));
        }

        cli.WriteTable(errors);
    }

    internal static string Duration(double? milliseconds) => milliseconds switch
    {
        null => "-",
        < 1000 => milliseconds.Value.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        _ => (milliseconds.Value / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
    };

    /// <summary>The error text on one line, shortened for the table (the JSON output has it whole).</summary>
    private static string OneLine(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
        {
            return "(no message)";
        }

        var line = string.Join(' ', error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= MaxErrorTextLength ? line : line[..(MaxErrorTextLength - 1)] + "…";
    }
}
