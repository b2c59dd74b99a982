using Ferry.Packaging;

namespace Ferry.Hub;

/// <summary>Bounds <see cref="TemplatePackageReader"/> enforces on an untrusted package.</summary>
public sealed record TemplatePackageLimits
{
    /// <summary>Most bytes the whole package may have.</summary>
    public long MaxPackageBytes { get; init; } = 512L << 20;

    public int MaxTemplateJsonBytes { get; init; } = 4 << 20;

    public int MaxSignatureJsonBytes { get; init; } = 16 << 10;

    /// <summary>Entry count and total uncompressed size of the app's files (hashed while the package is opened).</summary>
    public ArchiveLimits AppArchive { get; init; } = new();

    /// <summary>Where the reader keeps app.zip while the package is open; the system's temporary folder when null.</summary>
    public string? WorkingDirectory { get; init; }
}
