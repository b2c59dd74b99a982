using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Manifest;

namespace Ferry.Cli.Options;

/// <summary>
/// <c>--service</c>, <c>--stage</c>, <c>--region</c> and <c>--config</c> of commands that act on a deployed app.
/// Without <c>--service</c> the app is the one described by ./serverless.yml.
/// </summary>
internal sealed class AppTargetOptions
{
    public Option<string?> Service { get; } = CommonOptions.Service();
    public Option<string?> Stage { get; } = CommonOptions.Stage();
    public Option<string?> Region { get; } = CommonOptions.Region();
    public Option<string?> Config { get; } = CommonOptions.Config();

    public void AddTo(Command command)
    {
        command.Options.Add(Service);
        command.Options.Add(Stage);
        command.Options.Add(Region);
        command.Options.Add(Config);
    }

    public AppTarget Resolve(ParseResult parseResult, CliContext context)
    {
        var service = parseResult.GetValue(Service);
        var stage = parseResult.GetValue(Stage);
        var region = parseResult.GetValue(Region);
        if (!string.IsNullOrWhiteSpace(service))
        {
            return new AppTarget(service, stage ?? ManifestDefaults.Stage, region ?? ManifestDefaults.Region);
        }

        var explicitConfig = parseResult.GetValue(Config);
        var configPath = explicitConfig is not null ? context.ResolvePath(explicitConfig) : CommonOptions.FindManifest(context.WorkingDirectory)
            ?? throw new CliUserException(
                $"No --service given and no {ManifestFiles.Described} in {context.WorkingDirectory}; pass --service NAME or run in the app's folder.");

        return TargetOf(context, configPath, stage, region);
    }

    /// <summary>The app stage a manifest deploys to. Other components' outputs don't change it, so they are not looked up.</summary>
    public static AppTarget TargetOf(CliContext context, string configPath, string? stage, string? region)
    {
        var manifest = ManifestReader.Load(context, configPath, stage, region, new Dictionary<string, string>(), _ => "(output of another component)").Manifest;
        return new AppTarget(manifest.Service, manifest.Provider.Stage, manifest.Provider.Region);
    }

    /// <summary>Whether the command names no app and runs in the root folder of a multi-component app.</summary>
    public bool TargetsComponentApp(ParseResult parseResult, CliContext context) =>
        string.IsNullOrWhiteSpace(parseResult.GetValue(Service)) && parseResult.GetValue(Config) is null
        && CommonOptions.FindManifest(context.WorkingDirectory) is null;
}
