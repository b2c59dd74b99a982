namespace Ferry.Manifest;

/// <summary>
/// What the CLI builds before packaging: the app's <c>plugins</c> and its <c>custom.esbuild</c> options. Only the CLI
/// reads these (the server receives the built JavaScript), so they are not part of the manifest's JSON.
/// </summary>
public sealed record BuildSettings
{
    /// <summary>The Serverless plugins that build TypeScript, which Ferry does itself with esbuild.</summary>
    public static IReadOnlyList<string> BundlingPlugins { get; } = ["serverless-esbuild", "serverless-plugin-typescript"];

    /// <summary><c>plugins</c> (the list, or <c>plugins.modules</c>), in order.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary><c>custom.esbuild</c>; defaults when absent.</summary>
    public EsbuildOptions Esbuild { get; init; } = new();

    /// <summary>The bundling plugin the app names (see <see cref="BundlingPlugins"/>), or null.</summary>
    public string? BundlingPlugin => Plugins.FirstOrDefault(BundlingPlugins.Contains);
}

/// <summary>
/// The <c>custom.esbuild</c> options of serverless-esbuild that change what runs: null values take the plugin's
/// defaults. Other options are reported as ignored when the manifest is read.
/// </summary>
public sealed record EsbuildOptions
{
    /// <summary>Options Ferry honours; any other key under <c>custom.esbuild</c> is ignored with a warning.</summary>
    public static IReadOnlyList<string> Honoured { get; } = ["bundle", "minify", "sourcemap", "target", "external", "exclude", "keepNames"];

    /// <summary>Longest list Ferry accepts for <c>external</c>/<c>exclude</c>.</summary>
    public const int MaxModules = 200;

    public bool? Bundle { get; init; }
    public bool? Minify { get; init; }

    /// <summary><c>true</c>/<c>false</c>, or one of esbuild's modes (<c>inline</c>, <c>external</c>, <c>linked</c>, <c>both</c>).</summary>
    public string? Sourcemap { get; init; }

    /// <summary>esbuild's <c>--target</c>, such as <c>node18</c>; default: the function's runtime.</summary>
    public string? Target { get; init; }

    public IReadOnlyList<string> External { get; init; } = [];

    /// <summary>Modules left out of the bundle (serverless-esbuild also leaves them out of the package; Ferry keeps them there).</summary>
    public IReadOnlyList<string>? Exclude { get; init; }

    public bool? KeepNames { get; init; }

    /// <summary>Where <c>custom.esbuild</c> is written, for messages; null when absent.</summary>
    public SourceLocation? Location { get; init; }
}
