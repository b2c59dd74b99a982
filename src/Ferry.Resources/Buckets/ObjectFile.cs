using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ferry.Resources.Buckets;

/// <summary>
/// One object on disk: its bytes, then its description as JSON, then the JSON's length and a magic tag. Keeping both in
/// one file makes a write a single rename (atomic), and putting the description last lets the bytes be written while
/// they are hashed, in one pass.
/// </summary>
internal static class ObjectFile
{
    private static ReadOnlySpan<byte> Magic => "FERRYOB1"u8;

    private const int FooterBytes = 4 + 8;

    private const int MaxHeaderBytes = 1024 * 1024;

    private const int BufferBytes = 256 * 1024;

    /// <summary>Bucket folders: the server's user only (other local users and sandboxes go through the S3 endpoint).</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Object files and bucket metadata: 0600.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static FileStream CreateTemporary(string path)
        => new(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = FileMode,
        });

    /// <summary>Creates a folder and its missing parents, each owner-only (existing ones are left as they are).</summary>
    public static void CreateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return;
        }

        if (Path.GetDirectoryName(full) is { } parent)
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(full, DirectoryMode);
    }

    /// <summary>Writes a small owner-only file (bucket or upload metadata).</summary>
    public static async Task WriteSmallFileAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Create,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = FileMode,
        });
        await file.WriteAsync(content, cancellationToken);
    }

    public static FileStream OpenRead(string path)
        => new(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous,
        });

    /// <summary>Copies <paramref name="source"/> to the end of <paramref name="target"/>, feeding the MD5.</summary>
    /// <returns>The number of bytes copied.</returns>
    public static async Task<long> AppendAsync(Stream source, FileStream target, IncrementalHash? md5, long maxBytes, long alreadyWritten, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            long copied = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferBytes), cancellationToken)) > 0)
            {
                copied += read;
                if (alreadyWritten + copied > maxBytes)
                {
                    throw S3Exception.EntityTooLarge(maxBytes);
                }

                md5?.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            return copied;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Appends the description and flushes the file to disk, so a rename publishes complete bytes only.</summary>
    public static async Task FinishAsync(FileStream file, ObjectInfo info, CancellationToken cancellationToken)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(info, StorageJson.Default.ObjectInfo);
        var footer = new byte[FooterBytes];
        BinaryPrimitives.WriteInt32LittleEndian(footer, header.Length);
        Magic.CopyTo(footer.AsSpan(4));
        await file.WriteAsync(header, cancellationToken);
        await file.WriteAsync(footer, cancellationToken);
        await file.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Reads the description of an open object file; the bytes are <c>[0, Size)</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not an intact object file.</exception>
    public static async Task<ObjectInfo> ReadInfoAsync(FileStream file, CancellationToken cancellationToken)
    {
        var length = file.Length;
        if (length < FooterBytes)
        {
            throw new InvalidDataException($"'{file.Name}' is too short to be an object file");
        }

        var footer = new byte[FooterBytes];
        await RandomAccess.ReadAsync(file.SafeFileHandle, footer, length - FooterBytes, cancellationToken);
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(footer);
        if (!footer.AsSpan(4).SequenceEqual(Magic) || headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > length - FooterBytes)
        {
            throw new InvalidDataException($"'{file.Name}' does not end with an object description");
        }

        var header = new byte[headerLength];
        var read = await RandomAccess.ReadAsync(file.SafeFileHandle, header, length - FooterBytes - headerLength, cancellationToken);
        var info = read == headerLength ? JsonSerializer.Deserialize(header, StorageJson.Default.ObjectInfo) : null;
        if (info is null || info.Size != length - FooterBytes - headerLength)
        {
            throw new InvalidDataException($"'{file.Name}' has a description that does not match its size");
        }

        return info;
    }

    public static async Task<ObjectInfo?> TryReadInfoAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = OpenRead(path);
            return await ReadInfoAsync(file, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
