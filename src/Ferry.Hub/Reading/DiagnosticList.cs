using Ferry.Manifest;

namespace Ferry.Hub.Reading;

/// <summary>Collects errors and warnings so that every problem in a template is reported at once, in file order.</summary>
internal sealed class DiagnosticList
{
    private readonly List<ManifestDiagnostic> errors = [];
    private readonly List<ManifestDiagnostic> warnings = [];

    public bool HasErrors => errors.Count > 0;

    public IReadOnlyList<ManifestDiagnostic> Warnings => InFileOrder(warnings);

    public void Error(SourceLocation? location, string message) => errors.Add(new ManifestDiagnostic(location, message));

    public void Warning(SourceLocation? location, string message) => warnings.Add(new ManifestDiagnostic(location, message));

    /// <exception cref="ManifestException">When at least one error was reported.</exception>
    public void ThrowIfErrors()
    {
        if (HasErrors)
        {
            throw new ManifestException(InFileOrder(errors));
        }
    }

    private static ManifestDiagnostic[] InFileOrder(List<ManifestDiagnostic> diagnostics) =>
        [.. diagnostics
            .Distinct()
            .OrderBy(d => d.Location is null ? 0 : 1)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)];
}
