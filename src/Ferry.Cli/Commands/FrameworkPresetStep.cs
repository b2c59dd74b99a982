using Ferry.Cli.Build;
using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Packaging.Frameworks;

namespace Ferry.Cli.Commands;

/// <summary>
/// Part of <c>ferry deploy</c>: a web function without a <c>command</c> gets one from its framework preset (named with
/// <c>framework:</c>, or detected from the app's files), after the preset's build ran in the app folder, inside the
/// build sandbox where bubblewrap works (<see cref="BuildSandboxFactory"/>).
/// </summary>
internal static class FrameworkPresetStep
{
    /// <param name="noBuildSandbox"><c>--no-build-sandbox</c>: build steps run as plain processes even where bubblewrap works.</param>
    public static async Task<ServiceManifest> ApplyAsync(
        ServiceManifest manifest, string appDirectory, CliOutput cli, CliContext context, bool noBuildSandbox, CancellationToken cancellationToken)
    {
        if (!manifest.Functions.Any(NeedsPreset))
        {
            return manifest;
        }

        var project = new ProjectFiles(appDirectory);
        var plans = new Dictionary<string, FrameworkPlan>(StringComparer.Ordinal);
        Task<BuildSandboxFactory.Choice>? sandbox = null;
        Task<BuildSandbox?> SandboxAsync()
        {
            sandbox ??= BuildSandboxFactory.CreateAsync(noBuildSandbox, context, cancellationToken);
            return ChosenAsync(sandbox, cli);
        }

        var functions = new List<FunctionManifest>(manifest.Functions.Count);
        foreach (var function in manifest.Functions)
        {
            if (!NeedsPreset(function))
            {
                functions.Add(function);
                continue;
            }

            var key = function.Framework ?? "";
            if (!plans.TryGetValue(key, out var plan))
            {
                plan = await PrepareAsync(function, project, cli, SandboxAsync, cancellationToken);
                plans[key] = plan;
            }

            var environment = new Dictionary<string, string>(plan.Environment, StringComparer.Ordinal);
            foreach (var (name, value) in function.Environment)
            {
                environment[name] = value;
            }

            functions.Add(function with { Command = plan.Command, Framework = plan.Preset.Name, Environment = environment });
        }

        var excludes = plans.Values.SelectMany(plan => plan.PackageExcludes).Distinct(StringComparer.Ordinal);
        return manifest with { Functions = functions, PackagePatterns = [.. excludes, .. manifest.PackagePatterns] };
    }

    private static bool NeedsPreset(FunctionManifest function) => function.Kind == FunctionKind.Web && function.Command is null;

    /// <summary>The sandbox chosen, warning once (the first caller) when it is not possible.</summary>
    private static async Task<BuildSandbox?> ChosenAsync(Task<BuildSandboxFactory.Choice> choice, CliOutput cli)
    {
        var wasDone = choice.IsCompleted;
        var chosen = await choice;
        if (!wasDone && chosen.Warning is { } warning)
        {
            cli.WriteWarning(warning);
        }

        return chosen.Sandbox;
    }

    private static async Task<FrameworkPlan> PrepareAsync(
        FunctionManifest function, ProjectFiles project, CliOutput cli, Func<Task<BuildSandbox?>> sandbox, CancellationToken cancellationToken)
    {
        var status = cli.StartStatus();
        try
        {
            var plan = FrameworkCatalog.Plan(function.Framework, project);
            status.Complete($"Framework {plan.Preset.Name} for function {function.Name} ({plan.Reason}); starts with: {string.Join(' ', plan.Command)}");
            foreach (var note in plan.Notes)
            {
                cli.WriteNote("  note: " + note);
            }

            var progress = new SynchronousProgress<BuildProgress>(line =>
            {
                if (line.Warning)
                {
                    status.Clear();
                    cli.WriteWarning(line.Text);
                }
                else if (line.Transient)
                {
                    status.Update(line.Text);
                }
                else
                {
                    status.Complete(line.Text);
                }
            });
            var isolation = plan.Steps.Count == 0 ? null : await sandbox();
            await FrameworkBuilder.RunAsync(plan, project, isolation, progress, cancellationToken);
            return plan;
        }
        catch (FrameworkException ex)
        {
            status.Clear();
            throw new CliUserException($"functions.{function.Name}: {ex.Message}", ex);
        }
    }
}
