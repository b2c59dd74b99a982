using System.Text.Json;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Egg.js (egg 3): dependencies installed at deploy (and a TypeScript app compiled), then Ferry's launcher runs the
/// app as one process with egg's single-process <c>start()</c> on $PORT. <c>egg-scripts start</c> would daemonize a
/// master that forks an agent and workers and writes logs and run files into the app folder and $HOME; a sandboxed
/// instance is one process, its app folder read-only, its logs what it writes to stdout and stderr.
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

        var install = NodeSteps.Install(project).ToList();
        var environment = new Dictionary<string, string> { ["EGG_SERVER_ENV"] = "prod", ["NODE_ENV"] = "production" };
        string[] command = ["node", $"{RuntimeFolder}/node/egg-launcher.cjs"];
        var typeScript = EggSetting(project, "typescript") is { ValueKind: JsonValueKind.True } || project.HasFile("app/router.ts");
        if (typeScript && TypeScriptBuild(project) is { } build)
        {
            install.Add(build);
        }

        return new FrameworkPlan(this, reason, command, environment, install);
    }

    /// <summary>
    /// A TypeScript egg app is compiled as egg's TypeScript boilerplate does it for egg-scripts (<c>npm run tsc</c>:
    /// <c>ets &amp;&amp; tsc</c>, the .js beside each .ts); egg then loads the .js files, as it does without EGG_TYPESCRIPT.
    /// Null for an app without such a script that was compiled before the deploy (app/router.js is there).
    /// </summary>
    private static BuildStep? TypeScriptBuild(ProjectFiles project)
    {
        foreach (var script in new[] { "tsc", "build" })
        {
            if (project.NodeScript(script) is not null)
            {
                return new BuildStep($"npm run {script}", ["npm", "run", script], BuildInputs.Sources, "app");
            }
        }

        if (project.HasFile("app/router.js"))
        {
            return null;
        }

        throw new FrameworkException(
            "package.json: a TypeScript egg app (\"egg\": { \"typescript\": true }, or app/router.ts) needs a \"tsc\" script "
            + "(egg's TypeScript boilerplate has \"ets && tsc -p tsconfig.json\") or a \"build\" script that compiles its .ts files to .js beside them (or deploy it compiled)");
    }

    /// <summary>package.json's <c>egg.NAME</c> (egg's own settings: framework, typescript…), or null.</summary>
    private static JsonElement? EggSetting(ProjectFiles project, string name) =>
        project.PackageJson is { ValueKind: JsonValueKind.Object } json
        && json.TryGetProperty("egg", out var egg) && egg.ValueKind == JsonValueKind.Object
        && egg.TryGetProperty(name, out var value)
            ? value
            : null;
}
