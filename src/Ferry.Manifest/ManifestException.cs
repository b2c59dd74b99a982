namespace Ferry.Manifest;

/// <summary>A problem found in a manifest, with where it is.</summary>
public sealed record ManifestDiagnostic(SourceLocation? Location, string Message)
{
    public override string ToString() => Location is null ? Message : $"{Location}: {Message}";
}

/// <summary>The manifest can't be used; <see cref="Errors"/> says where and why (at least one entry).</summary>
public sealed class ManifestException(IReadOnlyList<ManifestDiagnostic> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ManifestDiagnostic> Errors { get; } = errors;
}
