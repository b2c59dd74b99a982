using System.Buffers;
using System.IO.Compression;
using System.Text;

namespace Ferry.Packaging;

/// <summary>
/// Extracts an untrusted zip archive. Every entry is checked before anything is written; the tree is built in a
/// hidden sibling directory that is renamed into place only when extraction succeeded, so a rejected archive leaves
/// nothing behind. Symlinks are created last, after all files, so no write ever goes through one.
/// </summary>
internal static class ArchiveExtractor
{
    private const int MaxLinkTargetBytes = 4096;
    private const int OwnerAll = 0x1C0; // rwx------

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private enum EntryKind
    {
        Directory,
        File,
        Symlink,
    }

    private sealed record PlannedEntry(ZipArchiveEntry Entry, string Path, EntryKind Kind, int Permissions, string? LinkTarget);

    public static async Task<ArchiveSummary> ExtractAsync(
        Stream zip, string destinationDirectory, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destinationDirectory));
        EnsureEmptyOrAbsent(destination);
        var parent = Path.GetDirectoryName(destination)
            ?? throw new ArgumentException("Cannot extract into the root of a file system.", nameof(destinationDirectory));
        Directory.CreateDirectory(parent);

        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.extracting-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var summary = await ExtractIntoAsync(zip, staging, parent, limits, cancellationToken);
            if (Directory.Exists(destination))
            {
                Directory.Delete(destination); // empty, checked above
            }

            Directory.Move(staging, destination);
            return summary;
        }
        catch
        {
            TryDeleteTree(staging);
            throw;
        }
    }

    private static async Task<ArchiveSummary> ExtractIntoAsync(
        Stream zip, string staging, string scratchDirectory, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        Stream? spooled = null;
        try
        {
            if (!zip.CanSeek)
            {
                // Zip readers need the central directory at the end; spool to disk rather than to memory.
                spooled = new FileStream(
                    Path.Combine(scratchDirectory, $".spool-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite,
                    FileShare.None, bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
                await zip.CopyToAsync(spooled, cancellationToken);
                spooled.Position = 0;
            }

            var archive = await ZipArchive.CreateAsync(spooled ?? zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
            await using (archive)
            {
                var plan = await PlanAsync(archive, limits, cancellationToken);
                return await WriteAsync(plan, staging, cancellationToken);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ArchiveException($"The archive is not a valid zip file or is corrupt: {ex.Message}", ex);
        }
        finally
        {
            if (spooled is not null)
            {
                await spooled.DisposeAsync();
            }
        }
    }

    private static async Task<List<PlannedEntry>> PlanAsync(ZipArchive archive, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        var entries = archive.Entries;
        if (entries.Count > limits.MaxEntries)
        {
            throw new ArchiveException($"The archive has {entries.Count} entries; at most {limits.MaxEntries} are allowed.");
        }

        var plan = new List<PlannedEntry>(entries.Count);
        var named = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, EntryKind>(StringComparer.Ordinal);
        var totalBytes = 0L;
        foreach (var entry in entries)
        {
            var (path, hasDirectoryName) = ArchivePath.ParseEntryName(entry.FullName);
            var mode = UnixFileKind.FromExternalAttributes(entry.ExternalAttributes);
            var kind = KindOf(entry.FullName, mode, hasDirectoryName);
            if (!named.Add(path))
            {
                throw new ArchiveException($"The archive has more than one entry for '{path}'.");
            }

            RegisterPath(kinds, path, kind);
            var permissions = PermissionsOf(mode, kind);
            string? linkTarget = null;
            switch (kind)
            {
                case EntryKind.File:
                    totalBytes += entry.Length;
                    if (totalBytes > limits.MaxTotalBytes)
                    {
                        throw new ArchiveException(
                            $"The archive expands to more than {limits.MaxTotalBytes} bytes (reached at '{path}').");
                    }

                    CheckCompressionRatio(entry, path, limits);
                    break;
                case EntryKind.Symlink:
                    linkTarget = await ReadLinkTargetAsync(entry, path, cancellationToken);
                    ArchivePath.ResolveLinkTarget(path, linkTarget);
                    break;
            }

            plan.Add(new PlannedEntry(entry, path, kind, permissions, linkTarget));
        }

        return plan;
    }

    private static EntryKind KindOf(string name, int mode, bool hasDirectoryName)
    {
        var kind = (mode & UnixFileKind.TypeMask) switch
        {
            UnixFileKind.Symlink => EntryKind.Symlink,
            UnixFileKind.Directory => EntryKind.Directory,
            UnixFileKind.RegularFile => EntryKind.File,
            0 => hasDirectoryName ? EntryKind.Directory : EntryKind.File, // made on a system without unix modes
            _ => throw new ArchiveException($"The archive entry '{name}' is a device, FIFO or socket; only files, directories and symlinks are allowed."),
        };
        if (hasDirectoryName && kind != EntryKind.Directory)
        {
            throw new ArchiveException($"The archive entry '{name}' ends with '/' but its mode says it is not a directory.");
        }

        return kind;
    }

    /// <summary>Records <paramref name="path"/> and its implied parent directories, rejecting file/directory clashes.</summary>
    private static void RegisterPath(Dictionary<string, EntryKind> kinds, string path, EntryKind kind)
    {
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            var ancestor = path[..slash];
            if (kinds.TryGetValue(ancestor, out var ancestorKind) && ancestorKind != EntryKind.Directory)
            {
                throw new ArchiveException(
                    $"The archive entry '{path}' lies under '{ancestor}', which the archive also has as a {Describe(ancestorKind)}.");
            }

            kinds[ancestor] = EntryKind.Directory;
        }

        if (kinds.TryGetValue(path, out var existing) && (existing != EntryKind.Directory || kind != EntryKind.Directory))
        {
            throw new ArchiveException($"The archive has '{path}' both as a directory and as a {Describe(kind)}.");
        }

        kinds[path] = kind;
    }

    private static string Describe(EntryKind kind) => kind == EntryKind.Symlink ? "symlink" : kind.ToString().ToLowerInvariant();

    /// <summary>
    /// Keeps rwx bits only (never setuid, setgid, sticky); directories always stay usable by their owner. Everything is
    /// readable (and, where the owner may execute it, executable) by every user, as on Lambda: functions run as
    /// unprivileged users other than the one extracting, and what protects the code from other local users is the
    /// folder it is extracted into.
    /// </summary>
    private static int PermissionsOf(int mode, EntryKind kind)
    {
        var permissions = mode & UnixFileKind.PermissionMask;
        return kind switch
        {
            EntryKind.Directory => (mode == 0 ? UnixFileKind.DefaultDirectoryPermissions : permissions) | OwnerAll | ReadAndEnterByAll,
            EntryKind.File => ReadableByAll(mode == 0 ? UnixFileKind.DefaultFilePermissions : permissions),
            _ => UnixFileKind.SymlinkPermissions,
        };
    }

    private const int ReadAndEnterByAll = 0x16D; // r-xr-xr-x

    private static int ReadableByAll(int permissions) =>
        permissions | 0x124 /* r--r--r-- */ | ((permissions & 0x40) != 0 ? 0x49 /* --x--x--x */ : 0);

    private static void CheckCompressionRatio(ZipArchiveEntry entry, string path, ArchiveLimits limits)
    {
        if (entry.Length <= limits.CompressionRatioThresholdBytes)
        {
            return;
        }

        var ratio = (double)entry.Length / Math.Max(entry.CompressedLength, 1);
        if (ratio > limits.MaxCompressionRatio)
        {
            throw new ArchiveException(
                $"The archive entry '{path}' expands {ratio:F0}-fold ({entry.CompressedLength} to {entry.Length} bytes); " +
                $"at most {limits.MaxCompressionRatio:F0}-fold is allowed.");
        }
    }

    private static async Task<string> ReadLinkTargetAsync(ZipArchiveEntry entry, string path, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxLinkTargetBytes)
        {
            throw new ArchiveException($"The symlink entry '{path}' has a {entry.Length}-byte target; at most {MaxLinkTargetBytes} bytes are allowed.");
        }

        var buffer = new byte[MaxLinkTargetBytes + 1];
        await using var content = await entry.OpenAsync(cancellationToken);
        var length = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        if (length > MaxLinkTargetBytes)
        {
            throw new ArchiveException($"The symlink entry '{path}' has a target longer than {MaxLinkTargetBytes} bytes.");
        }

        try
        {
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw new ArchiveException($"The symlink entry '{path}' has a target that is not valid UTF-8.");
        }
    }

    private static async Task<ArchiveSummary> WriteAsync(List<PlannedEntry> plan, string root, CancellationToken cancellationToken)
    {
        var files = 0;
        var bytes = 0L;
        foreach (var planned in plan.Where(p => p.Kind == EntryKind.Directory))
        {
            var directory = Directory.CreateDirectory(FullPath(root, planned.Path));
            SetPermissions(directory.FullName, planned.Permissions);
        }

        foreach (var planned in plan.Where(p => p.Kind == EntryKind.File))
        {
            cancellationToken.ThrowIfCancellationRequested();
            bytes += await WriteFileAsync(planned, FullPath(root, planned.Path), cancellationToken);
            files++;
        }

        foreach (var planned in plan.Where(p => p.Kind == EntryKind.Symlink))
        {
            var fullPath = FullPath(root, planned.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            File.CreateSymbolicLink(fullPath, planned.LinkTarget!);
            files++;
        }

        return new ArchiveSummary(files, bytes);
    }

    private static async Task<long> WriteFileAsync(PlannedEntry planned, string fullPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        var written = 0L;
        try
        {
            await using var source = await planned.Entry.OpenAsync(cancellationToken);
            await using var target = new FileStream(
                fullPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.Asynchronous);
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                written += read;
                if (written > planned.Entry.Length)
                {
                    // The header's size is what the limits were checked against; never write past it.
                    throw new ArchiveException(
                        $"The archive entry '{planned.Path}' expands beyond the {planned.Entry.Length} bytes its header declares.");
                }

                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        SetPermissions(fullPath, planned.Permissions);
        return written;
    }

    private static string FullPath(string root, string entryPath) =>
        Path.Combine(root, entryPath.Replace('/', Path.DirectorySeparatorChar));

    private static void SetPermissions(string path, int permissions)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)permissions);
        }
    }

    private static void EnsureEmptyOrAbsent(string destination)
    {
        if (File.Exists(destination))
        {
            throw new IOException($"Cannot extract into '{destination}': it is a file, not a directory.");
        }

        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new IOException($"Cannot extract into '{destination}': the directory is not empty.");
        }
    }

    private static void TryDeleteTree(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the extraction error that brought us here is the one worth reporting.
        }
    }
}
