using System.IO.Compression;
using System.Text;

namespace Ferry.Packaging;

/// <summary>Writes the files of a service directory that its package patterns select into a zip archive.</summary>
internal static class ArchiveBuilder
{
    /// <summary>
    /// Every entry gets this timestamp so that packaging unchanged sources yields byte-identical archives (and so the
    /// same content hash in the artifact store).
    /// </summary>
    private static readonly DateTimeOffset EntryTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly EnumerationOptions ListEverything = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    private sealed record SourceEntry(string RelativePath, string FullPath, string? LinkTarget, int Permissions, long Length, DateTime LastWriteTimeUtc);

    /// <summary>The files <see cref="CreateAsync"/> would store, in the same order, without reading them.</summary>
    public static IReadOnlyList<PackageSourceFile> List(string sourceDirectory, IReadOnlyList<string> patterns, CancellationToken cancellationToken)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sourceDirectory));
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Cannot package '{root}': the directory does not exist.");
        }

        var entries = new List<SourceEntry>();
        Collect(root, new DirectoryInfo(root), "", PackagePatternSet.Create(patterns), entries, cancellationToken);
        return [.. entries.Select(e => new PackageSourceFile(e.RelativePath, e.Length, e.LastWriteTimeUtc, e.Permissions, e.LinkTarget))];
    }

    public static async Task<ArchiveSummary> CreateAsync(
        string sourceDirectory, Stream output, IReadOnlyList<string> patterns,
        IProgress<ArchiveProgress>? progress, CancellationToken cancellationToken)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sourceDirectory));
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Cannot package '{root}': the directory does not exist.");
        }

        var filter = PackagePatternSet.Create(patterns);
        var entries = new List<SourceEntry>();
        Collect(root, new DirectoryInfo(root), "", filter, entries, cancellationToken);
        if (entries.Count == 0)
        {
            throw new ArchiveException($"No file in '{root}' matches the package patterns; the archive would be empty.");
        }

        var files = 0;
        var bytes = 0L;
        var archive = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        await using (archive)
        {
            foreach (var source in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bytes += await WriteEntryAsync(archive, source, cancellationToken);
                files++;
                progress?.Report(new ArchiveProgress(files, bytes));
            }
        }

        return new ArchiveSummary(files, bytes);
    }

    private static void Collect(
        string root, DirectoryInfo directory, string prefix, PackagePatternSet filter,
        List<SourceEntry> entries, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var children = directory.EnumerateFileSystemInfos("*", ListEverything)
            .OrderBy(child => child.Name, StringComparer.Ordinal);
        foreach (var child in children)
        {
            var relativePath = prefix.Length == 0 ? child.Name : prefix + "/" + child.Name;
            if (child.LinkTarget is { } rawTarget)
            {
                if (filter.Includes(relativePath))
                {
                    var target = CanonicalLinkTarget(root, directory.FullName, relativePath, rawTarget);
                    entries.Add(new SourceEntry(relativePath, child.FullName, target, UnixFileKind.SymlinkPermissions, 0, child.LastWriteTimeUtc));
                }
            }
            else if (child is DirectoryInfo subdirectory)
            {
                Collect(root, subdirectory, relativePath, filter, entries, cancellationToken);
            }
            else if (filter.Includes(relativePath))
            {
                entries.Add(new SourceEntry(relativePath, child.FullName, null, ReadPermissions(child), ((FileInfo)child).Length, child.LastWriteTimeUtc));
            }
        }
    }

    /// <summary>
    /// Rewrites a symlink target as the shortest relative path from the link's directory, after checking it stays
    /// inside <paramref name="root"/>; a link out of the tree would dangle (or leak host files) once deployed.
    /// </summary>
    private static string CanonicalLinkTarget(string root, string linkDirectory, string relativePath, string rawTarget)
    {
        var fullTarget = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rawTarget, linkDirectory));
        var inside = fullTarget == root
            || fullTarget.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (!inside)
        {
            throw new ArchiveException(
                $"The symlink '{relativePath}' points to '{rawTarget}', which is outside the directory being packaged " +
                $"('{root}'). Replace the link with a copy of its target, or exclude it with a '!{relativePath}' pattern.");
        }

        var target = Path.GetRelativePath(linkDirectory, fullTarget).Replace(Path.DirectorySeparatorChar, '/');
        ArchivePath.ResolveLinkTarget(relativePath, target);
        return target;
    }

    /// <summary>The permission bits from the file's status the enumeration already read (no second stat).</summary>
    private static int ReadPermissions(FileSystemInfo file) =>
        OperatingSystem.IsWindows()
            ? UnixFileKind.DefaultFilePermissions
            : (int)file.UnixFileMode & UnixFileKind.PermissionMask;

    /// <summary>Adds one entry and returns the number of file bytes it stored (0 for a symlink).</summary>
    private static async Task<long> WriteEntryAsync(ZipArchive archive, SourceEntry source, CancellationToken cancellationToken)
    {
        var isLink = source.LinkTarget is not null;
        var entry = archive.CreateEntry(source.RelativePath, isLink ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTimestamp;
        entry.ExternalAttributes = UnixFileKind.ToExternalAttributes(
            isLink ? UnixFileKind.Symlink : UnixFileKind.RegularFile, source.Permissions);

        await using var destination = await entry.OpenAsync(cancellationToken);
        if (source.LinkTarget is { } target)
        {
            await destination.WriteAsync(Encoding.UTF8.GetBytes(target), cancellationToken);
            return 0;
        }

        await using var content = new FileStream(
            source.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await content.CopyToAsync(destination, cancellationToken);
        return content.Position;
    }
}
