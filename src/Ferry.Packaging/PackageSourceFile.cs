namespace Ferry.Packaging;

/// <summary>One file a package would hold (<see cref="AppArchive.ListFiles"/>): a symlink has its in-tree target and length 0.</summary>
public sealed record PackageSourceFile(string RelativePath, long Length, DateTime LastWriteTimeUtc, int Permissions, string? LinkTarget);
