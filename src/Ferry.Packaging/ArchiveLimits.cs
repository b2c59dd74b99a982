namespace Ferry.Packaging;

/// <summary>Bounds an extraction enforces so that an untrusted archive cannot exhaust disk or inodes.</summary>
public sealed record ArchiveLimits
{
    /// <summary>Most entries (files, directories, symlinks) an archive may hold.</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>Most uncompressed bytes all entries together may expand to.</summary>
    public long MaxTotalBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Highest uncompressed-to-compressed size ratio an entry larger than <see cref="CompressionRatioThresholdBytes"/>
    /// may have. Ordinary code and dependencies compress far below this; a higher ratio marks a decompression bomb.
    /// </summary>
    public double MaxCompressionRatio { get; init; } = 200;

    /// <summary>Entries up to this uncompressed size are exempt from the ratio check (tiny files compress oddly).</summary>
    public long CompressionRatioThresholdBytes { get; init; } = 1L << 20;
}
