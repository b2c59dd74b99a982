using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Init;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Packaging;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry init [TEMPLATE] [--name NAME] [--dir DIR]</c>: creates a new app folder from a built-in starter; without a
/// template it lists the starters.
/// </summary>
internal static class InitCommand
{
    /// <summary>Largest source archive <c>--template</c> downloads.</summary>
    private const long MaxSourceBytes = 256L * 1024 * 1024;

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var template = new Argument<string?>("TEMPLATE")
        {
            Description = "The built-in starter to use (leave out to list them); with --template, the folder to create",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var name = new Option<string?>("--name")
        {
            Description = "The service name (default: the folder's name)",
        };
        var dir = new Option<string?>("--dir")
        {
            Description = "The folder to create the app in (default: ./NAME with --name, else the current folder)",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Write into a folder that is not empty (files of the starter overwrite same-named files)",
        };
        var hubTemplate = new Option<string?>("--template")
        {
            Description = "Start from the source of a template of the template center, NAME or NAME@VERSION (default: its newest approved version); not for templates with closed-source functions",
            HelpName = "name[@version]",
        };
        var command = new Command("init", "Create a new app from a built-in starter (node, python, typescript, express, koa, flask, php, scf, multi-scf) or a template's source");
        command.Arguments.Add(template);
        command.Options.Add(name);
        command.Options.Add(dir);
        command.Options.Add(force);
        command.Options.Add(hubTemplate);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(hubTemplate) is { } hubReference)
            {
                if (parseResult.GetValue(name) is not null || parseResult.GetValue(force))
                {
                    throw new CliUserException("--template keeps the template's own service name and writes only into an empty folder: leave out --name and --force.");
                }

                using var client = globals.CreateClient(parseResult, context);
                var target = parseResult.GetValue(dir) ?? parseResult.GetValue(template);
                return await InitFromTemplateAsync(hubReference, target, client, context, cancellationToken);
            }

            var templateName = parseResult.GetValue(template);
            if (string.IsNullOrEmpty(templateName))
            {
                ListStarters(context);
                return ExitCodes.Success;
            }

            var starter = StarterCatalog.Find(templateName)
                ?? throw new CliUserException($"There is no starter '{templateName}'; the starters are {string.Join(", ", StarterCatalog.All.Select(s => s.Name))} (run 'ferry init' to list them).");
            var serviceName = parseResult.GetValue(name);
            var directory = context.ResolvePath(parseResult.GetValue(dir) ?? serviceName ?? ".");
            var nameOrigin = "--name";
            if (serviceName is null)
            {
                serviceName = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
                nameOrigin = "the folder's name";
            }

            StarterWriter.ValidateName(serviceName, nameOrigin);
            StarterWriter.EnsureWritable(directory, parseResult.GetValue(force));
            var written = StarterWriter.Write(starter, directory, serviceName);

            context.Out.WriteLine(Ansi.Paint($"Created {serviceName} from the {starter.Name} starter in {directory}", AnsiStyle.Green, context.ColorOut));
            foreach (var file in written)
            {
                context.Out.WriteLine($"  {file}");
            }

            var relative = Path.GetRelativePath(context.WorkingDirectory, directory);
            context.Out.WriteLine();
            context.Out.WriteLine("Next steps:");
            context.Out.WriteLine(relative == "." ? "  ferry deploy" : $"  cd {relative} && ferry deploy");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// <c>ferry init --template NAME[@VERSION] [DIR]</c>: downloads the app folder of an approved version (the server
    /// refuses closed-source templates) and extracts it into DIR (default ./NAME), which must be empty or absent;
    /// the extractor rejects absolute paths, <c>..</c>, links that leave the folder and oversized archives.
    /// </summary>
    private static async Task<int> InitFromTemplateAsync(string text, string? target, FerryApiClient client, CliContext context, CancellationToken cancellationToken)
    {
        if (!TemplateReference.TryParse(text, versionRequired: false, out var reference, out var error))
        {
            throw new CliUserException($"--template: {error}");
        }

        var directory = context.ResolvePath(target ?? reference!.Name);
        if (File.Exists(directory) || (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any()))
        {
            throw new CliUserException($"{directory} is not empty (or is a file); nothing was written. Choose an empty or new folder.");
        }

        var version = reference!.Version ?? await NewestApprovedAsync(reference.Name, client, cancellationToken);
        var path = $"templates/{Uri.EscapeDataString(reference.Name)}/versions/{Uri.EscapeDataString(version)}/source";
        await using var archive = new FileStream(
            Path.Combine(Path.GetTempPath(), $"ferry-init-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            bufferSize: 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await client.DownloadAsync(path, archive, MaxSourceBytes, cancellationToken);
        archive.Position = 0;
        var summary = await AppArchive.ExtractAsync(archive, directory, new ArchiveLimits(), cancellationToken);

        context.Out.WriteLine(Ansi.Paint($"Created {reference.Name}@{version} in {directory} ({summary.FileCount} files)", AnsiStyle.Green, context.ColorOut));
        var relative = Path.GetRelativePath(context.WorkingDirectory, directory);
        context.Out.WriteLine();
        context.Out.WriteLine("Next steps (set the template's parameters with --param NAME=VALUE where it has some):");
        context.Out.WriteLine(relative == "." ? "  ferry deploy" : $"  cd {relative} && ferry deploy");
        return ExitCodes.Success;
    }

    private static async Task<string> NewestApprovedAsync(string name, FerryApiClient client, CancellationToken cancellationToken)
    {
        var info = await client.GetJsonAsync<TemplateInfo>($"templates/{Uri.EscapeDataString(name)}", cancellationToken);
        return TemplateRendering.NewestFirst(info.Versions).FirstOrDefault(v => v.Status == "approved")?.Version
            ?? throw new CliUserException($"Template {name} has no approved version yet; name one with --template {name}@VERSION once it is approved.");
    }

    private static void ListStarters(CliContext context)
    {
        context.Out.WriteLine("Starters (ferry init TEMPLATE [--name NAME] [--dir DIR]):");
        var width = StarterCatalog.All.Max(s => s.Name.Length);
        foreach (var starter in StarterCatalog.All)
        {
            context.Out.WriteLine($"  {starter.Name.PadRight(width)}  {starter.Description}");
        }
    }
}
