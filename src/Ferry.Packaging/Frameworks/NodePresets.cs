using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>Build steps every Node preset shares.</summary>
internal static class NodeSteps
{
    /// <summary><c>npm ci</c> with a lock file, else <c>npm install</c>; none without package.json.</summary>
    public static IEnumerable<BuildStep> Install(ProjectFiles project)
    {
        const string hint = "npm is not installed on this machine (Debian: apt-get install npm)";
        if (project.HasFile("package-lock.json"))
        {
            yield return new BuildStep("npm ci", ["npm", "ci", "--no-audit", "--no-fund"], BuildInputs.Of("package-lock.json"), "node_modules")
            {
                MissingToolHint = hint,
            };
        }
        else if (project.HasFile("package.json"))
        {
            yield return new BuildStep("npm install", ["npm", "install", "--no-audit", "--no-fund"], BuildInputs.Of("package.json"), "node_modules")
            {
                MissingToolHint = hint,
            };
        }
    }

    /// <summary><c>npm run build</c> when package.json has a build script, else <paramref name="fallback"/>.</summary>
    public static BuildStep Build(ProjectFiles project, string output, params string[] fallback) =>
        project.NodeScript("build") is not null
            ? new BuildStep("npm run build", ["npm", "run", "build"], BuildInputs.Sources, output)
            : new BuildStep(string.Join(' ', fallback), fallback, BuildInputs.Sources, output);

    public static string? DependencyReason(ProjectFiles project, string dependency) =>
        project.HasNodeDependency(dependency) ? $"package.json depends on {dependency}" : null;
}

/// <summary>
/// Express and Koa: the app's entry file runs under Ferry's launcher, which starts an exported app
/// (<c>module.exports = app</c>) on $PORT or lets an app that calls <c>listen</c> itself do so.
/// </summary>
public sealed partial class NodeServerPreset(string name, string dependency) : FrameworkPreset
{
    /// <summary>Entry files tried after package.json's <c>main</c> and <c>scripts.start</c>, in this order.</summary>
    public static IReadOnlyList<string> EntryCandidates { get; } = ["sls.js", "app.js", "index.js", "server.js", "src/app.js", "src/index.js"];

    public override string Name => name;

    public override string DetectedBy => $"package.json dependency `{dependency}`";

    public override string? Detect(ProjectFiles project) => NodeSteps.DependencyReason(project, dependency);

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        var entry = EntryFile(project);
        return new FrameworkPlan(this, reason, ["node", $"{RuntimeFolder}/node/web-launcher.cjs", entry], new Dictionary<string, string>(),
            [.. NodeSteps.Install(project)]);
    }

    /// <summary>package.json's <c>main</c>, the file <c>scripts.start</c> runs with node, or the first of <see cref="EntryCandidates"/>.</summary>
    public static string EntryFile(ProjectFiles project)
    {
        if (project.NodeMain is { } main && IsAppFile(project, main))
        {
            return Normalize(main);
        }

        if (project.NodeScript("start") is { } start && StartScriptFile().Match(start) is { Success: true } match
            && IsAppFile(project, match.Groups[1].Value))
        {
            return Normalize(match.Groups[1].Value);
        }

        return EntryCandidates.FirstOrDefault(project.HasFile)
            ?? throw new FrameworkException(
                $"no entry file found in {project.Directory}: set \"main\" in package.json, or add one of {string.Join(", ", EntryCandidates)}");
    }

    private static bool IsAppFile(ProjectFiles project, string path) =>
        !Path.IsPathRooted(path) && !path.Split('/', '\\').Contains("..") && project.HasFile(path);

    private static string Normalize(string path) => path.StartsWith("./", StringComparison.Ordinal) ? path[2..] : path;

    [GeneratedRegex(@"^\s*node\s+(?:--?[\w-]+(?:=\S+)?\s+)*([\w./-]+\.[cm]?js)\b")]
    private static partial Regex StartScriptFile();
}

/// <summary>NestJS: <c>npm run build</c> compiles to <c>dist/</c>, whose <c>main.js</c> listens on $PORT (Nest's starter reads it).</summary>
public sealed class NestPreset : FrameworkPreset
{
    public override string Name => Manifest.Frameworks.FrameworkNames.Nest;

    public override string DetectedBy => "package.json dependency `@nestjs/core`";

    public override string? Detect(ProjectFiles project) => NodeSteps.DependencyReason(project, "@nestjs/core");

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        if (project.NodeScript("build") is null)
        {
            throw new FrameworkException("package.json of a Nest app needs a \"build\" script (Nest's starter has \"nest build\") that compiles to dist/");
        }

        return new FrameworkPlan(this, reason, ["node", "dist/main.js"], new Dictionary<string, string>(),
            [.. NodeSteps.Install(project), NodeSteps.Build(project, "dist")]);
    }
}

/// <summary>
/// Next.js: <c>next build</c> on the developer's machine, <c>next start</c> on $PORT under Ferry's launcher. Next.js
/// compiles its base path into the build, and one function answers under several prefixes (<c>/{service}/{stage}</c>,
/// a custom domain's <c>/</c> or path prefix), so an app without a <c>basePath</c> of its own is built and run under a
/// placeholder base path through Next's deployment adapter API (<c>NEXT_ADAPTER_PATH</c>), and the launcher puts each
/// request's prefix in its place in every response (runtime/node/next-launcher.cjs).
/// </summary>
public sealed class NextJsPreset : FrameworkPreset
{
    private const string NextBin = "node_modules/next/dist/bin/next";

    /// <summary>Ferry's Next.js adapter: the same file <c>next start</c> loads in the sandbox.</summary>
    public const string AdapterFile = "next-adapter.mjs";

    public override string Name => Manifest.Frameworks.FrameworkNames.NextJs;

    public override string DetectedBy => "package.json dependency `next`";

    public override string? Detect(ProjectFiles project) => NodeSteps.DependencyReason(project, "next");

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        var build = NodeSteps.Build(project, ".next", "node", NextBin, "build") with
        {
            SupportFiles = new Dictionary<string, string> { [AdapterFile] = Adapter.Value },
            Environment = new Dictionary<string, string>
            {
                ["NEXT_ADAPTER_PATH"] = $"{BuildStep.SupportFolderPlaceholder}/{AdapterFile}",
                ["NEXT_TELEMETRY_DISABLED"] = "1",
            },
        };
        return new(this, reason, ["node", $"{RuntimeFolder}/node/next-launcher.cjs", "-H", "127.0.0.1"],
            new Dictionary<string, string> { ["NEXT_TELEMETRY_DISABLED"] = "1", ["NODE_ENV"] = "production" },
            [.. NodeSteps.Install(project), build])
        {
            Notes = ["Next.js is built under a placeholder base path (unless next.config sets basePath) that Ferry's launcher replaces "
                + "with the prefix each request came through: pages, <Link>s, /_next/ assets and client navigation work under "
                + "/{service}/{stage}, at a custom domain's / and under its path prefix"],
            PackageExcludes = ["!node_modules/@next/swc-*/**", "!.next/cache/**"],
        };
    }

    private static readonly Lazy<string> Adapter = new(() =>
    {
        using var stream = typeof(NextJsPreset).Assembly.GetManifestResourceStream(AdapterFile)
            ?? throw new InvalidOperationException($"{AdapterFile} is missing from {typeof(NextJsPreset).Assembly.GetName().Name}'s resources");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
