namespace Ferry.Packaging;

/// <summary>Zip archives of a service's code: created by the CLI from the service directory, extracted by the server.</summary>
public static class AppArchive
{
    /// <summary>
    /// Zips the files of <paramref name="sourceDirectory"/> that <paramref name="patterns"/> select into
    /// <paramref name="output"/> (left open). Patterns are Serverless <c>package.patterns</c>, applied after
    /// <see cref="PackagePatternSet.DefaultExcludes"/>; see <see cref="PackagePatternSet"/>. Unix permission bits are
    /// kept (an executable <c>bootstrap</c> stays executable). A symlink whose target is inside the tree is stored as a
    /// symlink entry with a relative target; a symlink pointing outside the tree fails with
    /// <see cref="ArchiveException"/>. Empty directories are not stored. Entries are written in ordinal path order with
    /// a fixed timestamp, so unchanged sources give byte-identical archives.
    /// </summary>
    public static Task<ArchiveSummary> CreateAsync(
        string sourceDirectory, Stream output, IReadOnlyList<string> patterns,
        IProgress<ArchiveProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectory);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(patterns);
        return ArchiveBuilder.CreateAsync(sourceDirectory, output, patterns, progress, cancellationToken);
    }

    /// <summary>
    /// The files <see cref="CreateAsync"/> would store from <paramref name="sourceDirectory"/> with
    /// <paramref name="patterns"/> (same rules, same order), with their size and modification time, without reading
    /// them: what the CLI's deploy cache compares with its last deploy.
    /// </summary>
    /// <exception cref="ArchiveException">A symlink points outside the tree, as <see cref="CreateAsync"/> would refuse.</exception>
    public static IReadOnlyList<PackageSourceFile> ListFiles(string sourceDirectory, IReadOnlyList<string> patterns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectory);
        ArgumentNullException.ThrowIfNull(patterns);
        return ArchiveBuilder.List(sourceDirectory, patterns, cancellationToken);
    }

    /// <summary>
    /// Extracts an untrusted archive into <paramref name="destinationDirectory"/>, which must be absent or empty.
    /// Fails with <see cref="ArchiveException"/>, leaving nothing on disk, when an entry name is absolute, has a '..'
    /// or empty segment or a backslash, when entries are duplicated or clash (a file under a file or symlink), when a
    /// symlink target is absolute or resolves outside the destination, when an entry is a device or FIFO, or when
    /// <paramref name="limits"/> are exceeded (entry count, total size, compression ratio, or data longer than the
    /// header declares). Permission bits are restored without setuid/setgid/sticky.
    /// </summary>
    public static Task<ArchiveSummary> ExtractAsync(
        Stream zip, string destinationDirectory, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(destinationDirectory);
        ArgumentNullException.ThrowIfNull(limits);
        return ArchiveExtractor.ExtractAsync(zip, destinationDirectory, limits, cancellationToken);
    }
}
