using System.Text.Json;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Egg.js (egg 3): dependencies installed at deploy, then Ferry's launcher runs the app as one process with egg's
/// single-process <c>start()</c> on $PORT. <c>egg-scripts start</c> would daemonize a master that forks an agent and
/// workers and writes logs and run files into the app folder and $HOME; a sandboxed instance is one process, its app
/// folder read-only, its logs what it writes to stdout and stderr.
/// </summary>
public sealed class EggPreset : FrameworkPreset
{
    public override string Name => Manifest.Frameworks.FrameworkNames.Egg;

    public override string DetectedBy => "package.json dependency `egg` (or an `egg.framework` built on it)";

    public override string? Detect(ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return NodeSteps.DependencyReason(project, "egg")
            ?? (EggSetting(project, "framework") is { ValueKind: JsonValueKind.String } framework
                ? $"package.json names the egg framework {framework.GetString()}"
                : null);
    }

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (!project.HasFile("package.json"))
        {
            throw new FrameworkException($"no package.json in {project.Directory}: an egg app lists egg in its dependencies");
        }

        if (EggSetting(project, "typescript") is { ValueKind: JsonValueKind.True } || (project.HasFile("app/router.ts") && !project.HasFile("app/router.js")))
        {
            throw new FrameworkException(
                "package.json: \"egg\": { \"typescript\": true } (or app/router.ts): Ferry's egg preset runs JavaScript egg apps only; "
                + "TypeScript egg apps are not supported yet (give the web function its own 'command' that starts the compiled app on $PORT)");
        }

        return new FrameworkPlan(this, reason, ["node", $"{RuntimeFolder}/node/egg-launcher.cjs"],
            new Dictionary<string, string> { ["EGG_SERVER_ENV"] = "prod", ["NODE_ENV"] = "production" },
            [.. NodeSteps.Install(project)]);
    }

    /// <summary>package.json's <c>egg.NAME</c> (egg's own settings: framework, typescript…), or null.</summary>
    private static JsonElement? EggSetting(ProjectFiles project, string name) =>
        project.PackageJson is { ValueKind: JsonValueKind.Object } json
        && json.TryGetProperty("egg", out var egg) && egg.ValueKind == JsonValueKind.Object
        && egg.TryGetProperty(name, out var value)
            ? value
            : null;
}
