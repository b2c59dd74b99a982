using System.Buffers;
using System.Security.Cryptography;

namespace Ferry.Packaging;

/// <summary>
/// Content-addressed storage of uploaded archives: each is kept once, named by its SHA-256
/// (<c>&lt;root&gt;/ab/abcdef….zip</c>). Uploads are written to <c>&lt;root&gt;/.incoming</c> first and renamed into
/// place only when complete, so a reader never sees a partial artifact. Safe for concurrent use.
/// </summary>
public sealed class ArtifactStore(string rootDirectory)
{
    private const string Extension = ".zip";
    private const string IncomingFolder = ".incoming";
    private const string PartialExtension = ".partial";
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _root = Path.GetFullPath(rootDirectory);

    /// <summary>
    /// Stores <paramref name="content"/> and returns its lowercase hex SHA-256. Throws
    /// <see cref="ArtifactTooLargeException"/> once more than <paramref name="maxBytes"/> bytes arrive (nothing is kept).
    /// Storing content that is already present is harmless.
    /// </summary>
    public async Task<string> SaveAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        Directory.CreateDirectory(_root, OwnerOnlyDirectory);
        var incoming = Directory.CreateDirectory(Path.Combine(_root, IncomingFolder), OwnerOnlyDirectory).FullName;
        var temporary = Path.Combine(incoming, $"{Guid.NewGuid():N}{PartialExtension}");
        try
        {
            string sha256;
            await using (var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 1,
                Options = FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, // uploads are the server's alone
            }))
            {
                sha256 = await CopyHashingAsync(content, file, maxBytes, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            var destination = PathOf(sha256);
            if (File.Exists(destination))
            {
                File.Delete(temporary);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!, OwnerOnlyDirectory);
                File.Move(temporary, destination, overwrite: true); // same content if another upload won the race
            }

            return sha256;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Opens a stored artifact for reading; <see cref="FileNotFoundException"/> when it is not stored.</summary>
    public Stream OpenRead(string sha256)
    {
        var path = PathOf(sha256);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"No artifact with SHA-256 {sha256} is stored in '{_root}'.", path, ex);
        }
    }

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Removes a stored artifact; does nothing when it is not stored.</summary>
    public void Delete(string sha256) => File.Delete(PathOf(sha256));

    /// <summary>
    /// Removes uploads that never completed (the server stopped while receiving them). Call only when no upload is in
    /// progress (at start-up); returns how many were removed.
    /// </summary>
    public int DeleteIncomplete()
    {
        var incoming = Path.Combine(_root, IncomingFolder);
        if (!Directory.Exists(incoming))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(incoming, "*" + PartialExtension))
        {
            File.Delete(file);
            removed++;
        }

        return removed;
    }

    /// <summary>Hashes of all stored artifacts.</summary>
    public IEnumerable<string> List()
    {
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        foreach (var shard in Directory.EnumerateDirectories(_root))
        {
            foreach (var file in Directory.EnumerateFiles(shard, "*" + Extension))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (IsSha256(name) && name.StartsWith(Path.GetFileName(shard), StringComparison.Ordinal))
                {
                    yield return name;
                }
            }
        }
    }

    private string PathOf(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        if (!IsSha256(sha256))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 hash (64 lowercase hex digits).", nameof(sha256));
        }

        return Path.Combine(_root, sha256[..2], sha256 + Extension);
    }

    private static bool IsSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigitLower);

    private static async Task<string> CopyHashingAsync(Stream source, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var total = 0L;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new ArtifactTooLargeException(maxBytes);
                }

                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
