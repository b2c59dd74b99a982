using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Packaging.Frameworks;

namespace Ferry.Cli.Commands;

/// <summary>
/// Part of <c>ferry deploy</c>: a web function without a <c>command</c> gets one from its framework preset (named with
/// <c>framework:</c>, or detected from the app's files), after the preset's build ran in the app folder.
/// </summary>
internal static class FrameworkPresetStep
{
    public static async Task<ServiceManifest> ApplyAsync(ServiceManifest manifest, string appDirectory, CliOutput cli, CancellationToken cancellationToken)
    {
        if (!manifest.Functions.Any(NeedsPreset))
        {
            return manifest;
        }

        var project = new ProjectFiles(appDirectory);
        var plans = new Dictionary<string, FrameworkPlan>(StringComparer.Ordinal);
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
                plan = await PrepareAsync(function, project, cli, cancellationToken);
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

    private static async Task<FrameworkPlan> PrepareAsync(FunctionManifest function, ProjectFiles project, CliOutput cli, CancellationToken cancellationToken)
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
            await FrameworkBuilder.RunAsync(plan, project, progress, cancellationToken);
            return plan;
        }
        catch (FrameworkException ex)
        {
            status.Clear();
            throw new CliUserException($"functions.{function.Name}: {ex.Message}", ex);
        }
    }
}
