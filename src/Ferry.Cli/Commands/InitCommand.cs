using System.CommandLine;
using Ferry.Cli.Init;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry init [TEMPLATE] [--name NAME] [--dir DIR]</c>: creates a new app folder from a built-in starter; without a
/// template it lists the starters.
/// </summary>
internal static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var template = new Argument<string?>("TEMPLATE")
        {
            Description = "The built-in starter to use; leave out to list them",
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
        var command = new Command("init", "Create a new app from a built-in starter (node, python, typescript, express, koa, flask, php, scf, multi-scf)");
        command.Arguments.Add(template);
        command.Options.Add(name);
        command.Options.Add(dir);
        command.Options.Add(force);
        command.SetReportingAction(context, (parseResult, _) =>
        {
            var templateName = parseResult.GetValue(template);
            if (string.IsNullOrEmpty(templateName))
            {
                ListStarters(context);
                return Task.FromResult(ExitCodes.Success);
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
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
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
