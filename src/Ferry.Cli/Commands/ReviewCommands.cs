using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry review list | show | approve | reject</c>: the reviewer's side of the template center.</summary>
internal static class ReviewCommands
{
    private const string Description = """
        Review template versions submitted to the hub (reviewer)

        Examples:
          ferry review list                                         versions waiting for review
          ferry review show image-resizer@1.1.0                     what changed since the approved version
          ferry review approve image-resizer@1.1.0 --comment 'LGTM'
          ferry review reject image-resizer@1.1.0 --comment 'Asks for a wildcard IAM role'
        """;

    public static Command Create(CliContext context, GlobalOptions globals) => new("review", Description)
    {
        List(context, globals),
        Show(context, globals),
        Decide(context, globals, "approve", "Approve a pending version: consumers can then install it", commentRequired: false),
        Decide(context, globals, "reject", "Reject a pending version; --comment tells the provider why", commentRequired: true),
    };

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "List the template versions waiting for review") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var pending = await client.GetJsonAsync<List<TemplateVersionInfo>>("reviews", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(pending);
                return ExitCodes.Success;
            }

            if (pending.Count == 0)
            {
                cli.WriteLine("Nothing to review.");
                return ExitCodes.Success;
            }

            var table = new TextTable("TEMPLATE", "SUBMITTED", "KEY", "CHANGELOG");
            foreach (var version in pending.OrderBy(v => v.SubmittedAt))
            {
                table.AddRow($"{version.Template}@{version.Version}", AppRendering.FormatTime(version.SubmittedAt), version.KeyId,
                    TemplateRendering.FirstLine(version.Changelog) ?? "-");
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context, GlobalOptions globals)
    {
        var template = TemplateReference.Argument("template", versionRequired: true, "The version to review, as NAME@VERSION");
        var output = CommonOptions.Output();
        var command = new Command("show", """
            Show a submitted version for review: what changed since the latest approved version (+ added, - removed,
            ~ changed), its parameters and its resolved manifest
            """) { template, output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(template)!;
            using var client = globals.CreateClient(parseResult, context);
            var review = await client.GetJsonAsync<ReviewInfo>(reference.VersionPath + "/review", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(review);
            }
            else
            {
                Render(review, cli);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Render(ReviewInfo review, CliOutput cli)
    {
        var version = review.Version;
        cli.WriteLine($"{cli.Paint($"{version.Template}@{version.Version}", AnsiStyle.Bold)}  {TemplateRendering.PaintStatus(version.Status, cli)}");
        cli.WriteLine($"Submitted {AppRendering.FormatTime(version.SubmittedAt)}, signed by key {version.KeyId}, digest {version.Digest}");
        cli.WriteLine($"Description: {version.Description}");
        if (version.ReviewComment is { } reviewComment)
        {
            var when = version.ReviewedAt is { } reviewed ? $" ({AppRendering.FormatTime(reviewed)})" : "";
            cli.WriteLine($"Review comment{when}: {reviewComment}");
        }

        if (!string.IsNullOrWhiteSpace(version.Changelog))
        {
            cli.WriteLine();
            cli.WriteHeading("Changelog");
            TemplateRendering.WriteIndented(version.Changelog, cli);
        }

        cli.WriteLine();
        cli.WriteHeading(review.PreviousVersion is { } previous ? $"Changes since {previous}" : "Changes (first version: everything is new)");
        TemplateRendering.WriteDiff(review.Diff, cli);

        cli.WriteLine();
        cli.WriteHeading("Parameters");
        TemplateRendering.WriteParameters(version.Parameters, cli);
        if (version.ClosedSourceFunctions.Count > 0)
        {
            cli.WriteLine($"  Closed-source functions (code not shown): {string.Join(", ", version.ClosedSourceFunctions)}");
        }

        cli.WriteLine();
        cli.WriteHeading("Manifest (parameters shown as ${param:NAME})");
        TemplateRendering.WriteIndented(CliJson.PrettyPrint(review.ManifestJson), cli);
    }

    private static Command Decide(CliContext context, GlobalOptions globals, string decision, string description, bool commentRequired)
    {
        var template = TemplateReference.Argument("template", versionRequired: true, $"The version to {decision}, as NAME@VERSION");
        var comment = new Option<string?>("--comment")
        {
            Description = commentRequired ? "Why it is rejected: what the provider must change (required)" : "A note for the provider",
            HelpName = "text",
            Required = commentRequired,
        };
        if (commentRequired)
        {
            comment.Validators.Add(result =>
            {
                if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
                {
                    result.AddError($"--comment must not be empty: tell the provider why the version is {decision}ed and what to change.");
                }
            });
        }

        var command = new Command(decision, description) { template, comment };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(template)!;
            var text = parseResult.GetValue(comment);
            using var client = globals.CreateClient(parseResult, context);
            var version = await client.PostJsonAsync<ReviewDecision, TemplateVersionInfo>(
                $"{reference.VersionPath}/{decision}", new ReviewDecision(string.IsNullOrWhiteSpace(text) ? null : text.Trim()), cancellationToken);
            var cli = new CliOutput(context, OutputFormat.Text);
            var style = version.Status == "approved" ? AnsiStyle.Green : AnsiStyle.Yellow;
            cli.WriteLine(cli.Paint($"{version.Template}@{version.Version} is now {version.Status}.", style));
            return ExitCodes.Success;
        });
        return command;
    }
}
