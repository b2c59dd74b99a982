using Ferry.Manifest;

namespace Ferry.Cli.Options;

/// <summary>Loads serverless.yml on the developer's machine, where <c>${env:…}</c> and <c>${opt:…}</c> have meaning.</summary>
internal static class ManifestReader
{
    /// <param name="configPath">Full path of the manifest file.</param>
    /// <param name="recorder">Notes the variables and files the manifest reads, for the deploy cache.</param>
    /// <param name="parameters">The <c>--param</c> values; they override <c>params</c> and are also visible as <c>${opt:key}</c>.</param>
    public static ManifestLoadResult Load(
        CliContext context, string configPath, string? stage, string? region, IReadOnlyDictionary<string, string> parameters,
        Func<Manifest.Components.ComponentOutputReference, string?>? componentOutput = null,
        DeployCache.DeployInputRecorder? recorder = null)
    {
        if (!File.Exists(configPath))
        {
            throw new CliUserException(Path.GetFileName(configPath) == CommonOptions.DefaultConfigFile
                ? $"No service manifest ({ManifestFiles.Described}) in {Path.GetDirectoryName(configPath)}; run in the app's folder or pass --config."
                : $"No service manifest at {configPath}; run in the app's folder or pass --config.");
        }

        var options = new Dictionary<string, string>(parameters, StringComparer.Ordinal);
        if (stage is not null)
        {
            options["stage"] = stage;
        }

        if (region is not null)
        {
            options["region"] = region;
        }

        return ManifestLoader.LoadFile(configPath, new ManifestLoadOptions
        {
            Stage = stage,
            Region = region,
            Options = options,
            ParamOverrides = parameters,
            EnvironmentVariable = recorder is null ? context.Environment : recorder.Environment,
            FileRead = recorder is null ? null : recorder.FileRead,
            ComponentOutput = componentOutput ?? (_ => null),
        });
    }
}
