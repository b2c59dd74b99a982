namespace Ferry.Manifest;

/// <summary>What the caller (usually the CLI) knows that a <c>serverless.yml</c> may refer to.</summary>
public sealed record ManifestLoadOptions
{
    /// <summary><c>--stage</c>; when null, <c>provider.stage</c> is used, else <see cref="ManifestDefaults.Stage"/>.</summary>
    public string? Stage { get; init; }

    /// <summary><c>--region</c>; when null, <c>provider.region</c> is used, else <see cref="ManifestDefaults.Region"/>.</summary>
    public string? Region { get; init; }

    /// <summary>All command line options by name (without dashes), for <c>${opt:NAME}</c>.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--param key=value</c> pairs; they win over the file's <c>params</c>.</summary>
    public IReadOnlyDictionary<string, string> ParamOverrides { get; init; } = new Dictionary<string, string>();

    /// <summary>Where <c>${env:NAME}</c> looks values up; null means "not set".</summary>
    public Func<string, string?> EnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>
    /// Where a Serverless Components file's <c>${output:STAGE:APP:INSTANCE.KEY}</c> is looked up: the outputs of the
    /// app's components deployed before this one; null means "no such output".
    /// </summary>
    public Func<Components.ComponentOutputReference, string?> ComponentOutput { get; init; } = _ => null;

    /// <summary>
    /// Told the full path of every file a <c>${file(…)}</c> reads (or looks for and finds missing), once per file: the
    /// CLI's deploy cache watches them.
    /// </summary>
    public Action<string>? FileRead { get; init; }
}

/// <summary>A loaded manifest and the warnings found on the way (unknown keys, ignored events, …).</summary>
public sealed record ManifestLoadResult(ServiceManifest Manifest, IReadOnlyList<ManifestDiagnostic> Warnings);
