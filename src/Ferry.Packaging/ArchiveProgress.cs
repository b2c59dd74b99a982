namespace Ferry.Packaging;

/// <summary>Files and uncompressed bytes written to an archive so far.</summary>
public sealed record ArchiveProgress(int Files, long Bytes);
