namespace Ferry.Manifest.Loading;

/// <summary>Collects every error and warning found while loading, so the user sees all problems at once.</summary>
/// <param name="manifestFile">The manifest's name: its problems come first, then those in files it refers to.</param>
internal sealed class DiagnosticBag(string? manifestFile = null)
{
    private readonly List<ManifestDiagnostic> errors = [];
    private readonly List<ManifestDiagnostic> warnings = [];

    public bool HasErrors => errors.Count > 0;

    public int ErrorCount => errors.Count;

    public void Error(SourceLocation? location, string message) => errors.Add(new ManifestDiagnostic(location, message));

    public void Warning(SourceLocation? location, string message) => warnings.Add(new ManifestDiagnostic(location, message));

    public IReadOnlyList<ManifestDiagnostic> Warnings => InFileOrder(warnings);

    /// <summary>Throws <see cref="ManifestException"/> with all errors, in file order, if there are any.</summary>
    public void ThrowIfErrors()
    {
        if (HasErrors)
        {
            throw new ManifestException(InFileOrder(errors));
        }
    }

    private ManifestDiagnostic[] InFileOrder(List<ManifestDiagnostic> diagnostics) =>
        [.. diagnostics
            .Distinct()
            .OrderBy(d => d.Location is null ? 0 : d.Location.File == manifestFile ? 1 : 2)
            .ThenBy(d => d.Location?.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)];
}
