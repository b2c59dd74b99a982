using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Metering;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry usage</c>: invocations, GB-seconds and cost of the caller's tenant in a period.</summary>
internal static class UsageCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var from = TimeOption("--from", "Start of the period (default: the first day of the current month, UTC)", context.Time);
        var to = TimeOption("--to", "End of the period, exclusive (default: the first day of the next month, UTC)", context.Time);
        var tenant = new Option<string?>("--tenant")
        {
            Description = "Another tenant's usage (admins only; default: your token's tenant)",
            HelpName = "name",
        };
        var output = CommonOptions.Output();
        var command = new Command("usage", "Show invocations, GB-seconds and cost of your apps in a period (default: this month)")
        {
            from, to, tenant, output,
        };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var report = await client.GetJsonAsync<UsageReport>(
                UsagePath(parseResult.GetValue(from), parseResult.GetValue(to), parseResult.GetValue(tenant)), cancellationToken);
            Render(report, new CliOutput(context, parseResult.GetValue(output)));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The API path (relative to /api/v1/) of a usage query; omitted bounds are left to the server's defaults.</summary>
    internal static string UsagePath(DateTimeOffset? from, DateTimeOffset? to, string? tenant)
    {
        var query = new List<string>();
        if (from is { } start)
        {
            query.Add("from=" + Uri.EscapeDataString(Iso(start)));
        }

        if (to is { } end)
        {
            query.Add("to=" + Uri.EscapeDataString(Iso(end)));
        }

        if (!string.IsNullOrEmpty(tenant))
        {
            query.Add("tenant=" + Uri.EscapeDataString(tenant));
        }

        return query.Count == 0 ? "usage" : "usage?" + string.Join('&', query);
    }

    internal static void Render(UsageReport report, CliOutput cli)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(report);
            return;
        }

        var currency = report.Prices.Currency;
        cli.WriteLine(cli.Paint($"Usage of tenant {report.Tenant} from {FormatUtc(report.From)} to {FormatUtc(report.To)}", AnsiStyle.Bold));
        cli.WriteLine(cli.Paint(
            string.Create(CultureInfo.InvariantCulture,
                $"Prices: {report.Prices.PerMillionRequests} {currency} per 1M requests, {report.Prices.PerGbSecond} {currency} per GB-second"),
            AnsiStyle.Dim));

        if (report.Functions.Count == 0)
        {
            cli.WriteLine();
            cli.WriteLine("No invocations in this period.");
            return;
        }

        cli.WriteLine();
        cli.WriteHeading("Apps");
        var apps = new TextTable("SERVICE", "STAGE", "REGION", "INVOCATIONS", "GB-SECONDS", $"COST ({currency})");
        foreach (var app in report.AppStages)
        {
            apps.AddRow(app.Service, app.Stage, app.Region, Count(app.Usage.Invocations), GbSeconds(app.Usage.GbSeconds), Money(app.Usage.Cost));
        }

        cli.WriteTable(apps);

        cli.WriteLine();
        cli.WriteHeading("Functions");
        var functions = new TextTable("SERVICE", "STAGE", "REGION", "FUNCTION", "INVOCATIONS", "BILLED", "GB-SECONDS", $"COST ({currency})");
        foreach (var function in report.Functions)
        {
            functions.AddRow(function.Service, function.Stage, function.Region, function.Function, Count(function.Usage.Invocations),
                BilledTime(function.Usage.BilledDurationMs), GbSeconds(function.Usage.GbSeconds), Money(function.Usage.Cost));
        }

        cli.WriteTable(functions);

        var total = report.Total;
        cli.WriteLine();
        cli.WriteLine(cli.Paint(
            $"Total: {Count(total.Invocations)} invocations, {GbSeconds(total.GbSeconds)} GB-seconds, {Money(total.Cost)} {currency} " +
            $"(requests {Money(total.RequestCost)}, compute {Money(total.ComputeCost)})",
            AnsiStyle.Bold));
    }

    private static Option<DateTimeOffset?> TimeOption(string name, string description, TimeProvider time) => new(name)
    {
        Description = description + "; an ISO 8601 time (2024-05-01T00:00:00Z; without an offset, local time) or a duration back from now (30d)",
        HelpName = "time",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (DurationParser.TryParseSince(text, time.GetUtcNow(), out var moment))
            {
                return moment;
            }

            result.AddError($"'{text}' is not a valid {name} value; expected {DurationParser.Syntax}.");
            return null;
        },
    };

    private static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    internal static string FormatUtc(DateTimeOffset time)
        => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    internal static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>GB-seconds to 6 decimals (the JSON output has the exact value).</summary>
    internal static string GbSeconds(decimal value) => value.ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>Costs to 6 decimals: a single invocation costs fractions of a cent.</summary>
    internal static string Money(decimal value) => value.ToString("0.000000", CultureInfo.InvariantCulture);

    internal static string BilledTime(long milliseconds) => milliseconds < 10_000
        ? milliseconds.ToString(CultureInfo.InvariantCulture) + " ms"
        : (milliseconds / 1000m).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
