namespace Ferry.Packaging;

/// <summary>What an archive holds: regular files and symlinks, and the uncompressed bytes of the regular files.</summary>
public sealed record ArchiveSummary(int FileCount, long TotalBytes);
