namespace Ferry.Manifest.Tests;

/// <summary>Loads YAML the way the CLI would, but with no process environment leaking into tests.</summary>
internal static class Manifests
{
    public const string FileName = "serverless.yml";

    public static ManifestLoadOptions Options(
        string? stage = null,
        IReadOnlyDictionary<string, string>? env = null,
        IReadOnlyDictionary<string, string>? options = null,
        IReadOnlyDictionary<string, string>? paramOverrides = null) => new()
        {
            Stage = stage,
            EnvironmentVariable = name => env is not null && env.TryGetValue(name, out var value) ? value : null,
            Options = options ?? new Dictionary<string, string>(),
            ParamOverrides = paramOverrides ?? new Dictionary<string, string>(),
        };

    public static ManifestLoadResult Load(string yaml, ManifestLoadOptions? options = null) =>
        ManifestLoader.Parse(yaml, FileName, options ?? Options());

    public static ServiceManifest LoadManifest(string yaml, ManifestLoadOptions? options = null) => Load(yaml, options).Manifest;

    public static IReadOnlyList<ManifestDiagnostic> Errors(string yaml, ManifestLoadOptions? options = null) =>
        Assert.Throws<ManifestException>(() => Load(yaml, options)).Errors;

    /// <summary>The one error of a manifest that should have exactly one.</summary>
    public static ManifestDiagnostic SingleError(string yaml, ManifestLoadOptions? options = null) =>
        Assert.Single(Errors(yaml, options));

    public static void AssertAt(ManifestDiagnostic diagnostic, int line, int column) =>
        Assert.Equal(new SourceLocation(FileName, line, column), diagnostic.Location);

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
}
