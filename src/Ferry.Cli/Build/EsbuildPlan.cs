using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Manifest;

namespace Ferry.Cli.Build;

/// <summary>
/// What <c>ferry deploy</c>, <c>ferry invoke local</c> and <c>ferry dev</c> bundle with esbuild before packaging, and
/// the manifest that runs the result. An app is built when it names serverless-esbuild or serverless-plugin-typescript
/// in <c>plugins</c> (then every Node handler is built), or when a Node handler exists only as TypeScript (then those
/// handlers are). Each handler module <c>src/app</c> becomes <c>.ferry/build/src/app.js</c> (CommonJS, with a source
/// map), its function's handler is rewritten to <c>.ferry/build/src/app.hello</c> and gets
/// <c>NODE_OPTIONS=--enable-source-maps</c>, so stack traces name the <c>.ts</c> lines.
/// </summary>
internal sealed partial record EsbuildPlan(
    IReadOnlyList<string> Sources, IReadOnlyList<string> Arguments, IReadOnlyList<string> Functions, ServiceManifest Manifest)
{
    /// <summary>App-relative folder of the build output (inside <c>.ferry</c>, which is otherwise never packaged).</summary>
    public const string OutputFolder = ".ferry/build";

    /// <summary>Lambda's Node runtimes ship the AWS SDK (v3), so apps don't bundle it unless they installed it.</summary>
    private const string AwsSdkV3 = "@aws-sdk";

    [GeneratedRegex(@"^nodejs(\d+)")]
    private static partial Regex NodeMajorPattern();

    /// <summary>The plan for <paramref name="manifest"/>, or null when nothing needs building.</summary>
    public static EsbuildPlan? Create(ServiceManifest manifest, string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(appDirectory);

        var plugin = manifest.Build.BundlingPlugin;
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        var built = new List<string>();
        var functions = new List<FunctionManifest>(manifest.Functions.Count);
        var runtimes = new List<string>();
        var sourcemap = manifest.Build.Esbuild.Sourcemap;
        var enableSourceMaps = sourcemap is null or "true" or "linked" or "inline" or "both";
        foreach (var function in manifest.Functions)
        {
            var buildSources = function.Image is null ? HandlerFiles.BuildSources(function.Runtime, function.Handler) : null;
            var source = buildSources?.Sources.FirstOrDefault(path => File.Exists(Path.Combine(appDirectory, path)));
            var isTypeScriptOnly = source is not null && IsTypeScript(source)
                && !HandlerFiles.For(function).Any(path => File.Exists(Path.Combine(appDirectory, path)));
            if (source is null || (plugin is null && !isTypeScriptOnly))
            {
                functions.Add(function);
                continue;
            }

            sources.Add(source);
            built.Add(function.Name);
            runtimes.Add(function.Runtime);
            var environment = new Dictionary<string, string>(function.Environment, StringComparer.Ordinal);
            if (enableSourceMaps)
            {
                environment["NODE_OPTIONS"] = environment.TryGetValue("NODE_OPTIONS", out var options) && options.Length > 0
                    ? options.Contains("--enable-source-maps", StringComparison.Ordinal) ? options : options + " --enable-source-maps"
                    : "--enable-source-maps";
            }

            functions.Add(function with { Handler = $"{OutputFolder}/{function.Handler}", Environment = environment });
        }

        if (sources.Count == 0)
        {
            return null;
        }

        var rewritten = manifest with { Functions = functions, PackagePatterns = [.. manifest.PackagePatterns, $"{OutputFolder}/**"] };
        var arguments = EsbuildArguments(manifest.Build, plugin, sources, runtimes, appDirectory);
        return new EsbuildPlan([.. sources], arguments, built, rewritten);
    }

    private static bool IsTypeScript(string path) => Path.GetExtension(path) is ".ts" or ".mts" or ".cts" or ".tsx";

    private static List<string> EsbuildArguments(
        BuildSettings build, string? plugin, IEnumerable<string> sources, IEnumerable<string> runtimes, string appDirectory)
    {
        var options = build.Esbuild;
        var arguments = new List<string>(sources)
        {
            $"--outdir={OutputFolder}",
            "--outbase=.",
            "--platform=node",
            "--format=cjs",
            $"--target={options.Target ?? TargetOf(runtimes)}",
            "--log-level=warning",
            "--color=false",
        };

        if (options.Bundle ?? true)
        {
            arguments.Add("--bundle");
            if (plugin == "serverless-plugin-typescript")
            {
                // tsc compiles each file and leaves require() of packages to run time; so does this.
                arguments.Add("--packages=external");
            }
        }

        if (options.Minify == true)
        {
            arguments.Add("--minify");
        }

        if (options.KeepNames == true)
        {
            arguments.Add("--keep-names");
        }

        switch (options.Sourcemap)
        {
            case null or "true" or "linked":
                arguments.Add("--sourcemap");
                break;
            case "false":
                break;
            default:
                arguments.Add($"--sourcemap={options.Sourcemap}");
                break;
        }

        var external = new SortedSet<string>(options.External, StringComparer.Ordinal);
        external.UnionWith(options.Exclude ?? ["aws-sdk"]);
        if (!Directory.Exists(Path.Combine(appDirectory, "node_modules", AwsSdkV3)))
        {
            external.Add($"{AwsSdkV3}/*");
        }

        arguments.AddRange(external.Select(module => $"--external:{module}"));
        return arguments;
    }

    /// <summary><c>node18</c> for <c>nodejs18.x</c>: the oldest Node version among the built functions.</summary>
    internal static string TargetOf(IEnumerable<string> runtimes)
    {
        var majors = runtimes
            .Select(runtime => NodeMajorPattern().Match(runtime))
            .Where(match => match.Success)
            .Select(match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
        return majors.Count == 0 ? "node18" : $"node{majors.Min()}";
    }
}
