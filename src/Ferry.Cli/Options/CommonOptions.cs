using System.CommandLine;
using Ferry.Cli.Output;
using Ferry.Manifest;

namespace Ferry.Cli.Options;

/// <summary>Factories for options that several commands share (each command gets its own instance).</summary>
internal static class CommonOptions
{
    public const string DefaultConfigFile = "serverless.yml";

    /// <summary>
    /// The app folder (--dir, default the working directory; must exist) and its manifest (--config, default the
    /// serverless.yml, serverless.yaml or serverless.json in it).
    /// </summary>
    public static (string AppDirectory, string ConfigPath) ResolveApp(
        ParseResult parseResult, CliContext context, Option<string?> directory, Option<string?> config)
    {
        var appDirectory = context.ResolvePath(parseResult.GetValue(directory) ?? ".");
        if (!Directory.Exists(appDirectory))
        {
            throw new CliUserException($"App folder {appDirectory} does not exist.");
        }

        var configPath = parseResult.GetValue(config) is { } explicitConfig
            ? context.ResolvePath(explicitConfig)
            : FindManifest(appDirectory) ?? Path.Combine(appDirectory, DefaultConfigFile);
        return (appDirectory, configPath);
    }

    /// <summary>The one manifest in <paramref name="appDirectory"/>, or null if there is none.</summary>
    /// <exception cref="CliUserException">There are several, and the CLI can't know which one is meant.</exception>
    public static string? FindManifest(string appDirectory)
    {
        var found = ManifestFiles.FindIn(appDirectory);
        if (found.Count > 1)
        {
            throw new CliUserException(
                $"{appDirectory} has {string.Join(" and ", found.Select(Path.GetFileName))}; keep one service manifest, or choose one with --config.");
        }

        return found.Count == 1 ? found[0] : null;
    }

    public static Option<string?> Stage() => new("--stage", "-s")
    {
        Description = $"Stage of the app (default: provider.stage in serverless.yml, else {ManifestDefaults.Stage})",
    };

    public static Option<string?> Region() => new("--region", "-r")
    {
        Description = $"Region of the app (default: provider.region in serverless.yml, else {ManifestDefaults.Region})",
    };

    public static Option<string?> Config() => new("--config", "-c")
    {
        Description = $"Path of the service manifest (default: {ManifestFiles.Described} in the app folder)",
        HelpName = "file",
    };

    public static Option<string?> Service() => new("--service")
    {
        Description = $"Service name (default: the service in ./{DefaultConfigFile})",
        HelpName = "name",
    };

    public static Option<bool> NoBuildSandbox() => new("--no-build-sandbox")
    {
        Description = "Run framework build steps (npm ci, next build, composer install) as plain processes instead of in the bubblewrap build sandbox",
    };

    public static Option<OutputFormat> Output() => new("--output", "-o")
    {
        Description = "Output format: text for people (default) or json for scripts",
        HelpName = "text|json",
    };

    /// <summary><c>--param key=value</c>, repeatable; malformed values are parse errors (exit code 1).</summary>
    public static Option<IReadOnlyDictionary<string, string>> Params() => new("--param")
    {
        Description = "Set a ${param:key} value, overriding params in serverless.yml (repeatable: --param key=value)",
        HelpName = "key=value",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => new Dictionary<string, string>(),
        CustomParser = result =>
        {
            var parameters = ParamParser.ParseAll(result.Tokens.Select(token => token.Value), out var error);
            if (error is not null)
            {
                result.AddError(error);
            }

            return parameters;
        },
    };

    /// <summary><c>--since</c>: a duration back from now or an ISO 8601 time; invalid values are parse errors.</summary>
    public static Option<DateTimeOffset?> Since(TimeProvider time) => new("--since")
    {
        Description = "Only lines at or after this time: 30s, 10m, 1h, 2d, 1h30m or an ISO 8601 time",
        HelpName = "time",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (DurationParser.TryParseSince(text, time.GetUtcNow(), out var since))
            {
                return since;
            }

            result.AddError($"'{text}' is not a valid --since value; expected {DurationParser.Syntax}.");
            return null;
        },
    };
}
