using System.IO.Compression;
using System.Security.Cryptography;
using Ferry.Hub.Reading;
using Ferry.Packaging;

namespace Ferry.Hub.Packaging;

/// <summary>One file or symlink of an app archive and the SHA-256 of its content (a symlink's content is its target).</summary>
internal sealed record IndexedEntry(string Path, string Sha256, long Size, bool IsSymlink);

/// <summary>Lists and hashes the entries of an app archive, refusing names that could escape the app folder.</summary>
internal static class AppArchiveIndex
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymlink = 0xA000;

    /// <exception cref="InvalidDataException">The archive is corrupt, has an unsafe or duplicate name, or exceeds <paramref name="limits"/>.</exception>
    public static async Task<List<IndexedEntry>> ReadAsync(Stream zip, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        var entries = new List<IndexedEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var total = 0L;
        await using var archive = await ZipArchive.CreateAsync(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        if (archive.Entries.Count > limits.MaxEntries)
        {
            throw new InvalidDataException($"it has {archive.Entries.Count:N0} entries; at most {limits.MaxEntries:N0} are allowed");
        }

        foreach (var entry in archive.Entries)
        {
            if (entry.FullName.EndsWith('/'))
            {
                continue; // directories carry no content
            }

            if (AppPaths.Normalize(entry.FullName) != entry.FullName)
            {
                throw new InvalidDataException($"the entry name '{entry.FullName}' is not a plain relative path inside the app");
            }

            if (!names.Add(entry.FullName))
            {
                throw new InvalidDataException($"the entry '{entry.FullName}' appears twice");
            }

            await using var content = await entry.OpenAsync(cancellationToken);
            var (sha256, size) = await HashAsync(content, limits.MaxTotalBytes - total, cancellationToken);
            total += size;
            var isSymlink = ((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymlink;
            entries.Add(new IndexedEntry(entry.FullName, sha256, size, isSymlink));
        }

        return entries;
    }

    /// <summary>The SHA-256 and length of the rest of <paramref name="content"/>, failing past <paramref name="maxBytes"/>.</summary>
    public static async Task<(string Sha256, long Size)> HashAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        var size = 0L;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (size > maxBytes)
            {
                throw new InvalidDataException($"its content is larger than the {maxBytes:N0} bytes allowed");
            }

            hash.AppendData(buffer, 0, read);
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
