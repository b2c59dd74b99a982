using System.Security.Cryptography;

namespace Ferry.Resources.Databases;

/// <summary>The server secret file that role passwords derive from: created once with 32 random bytes, mode 0600.</summary>
public static class PostgresPasswordKey
{
    public const int KeyBytes = 32;
    private const int MaxFileBytes = 4096;

    public static async Task<byte[]> LoadOrCreateAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                await using var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                await file.WriteAsync(key, cancellationToken);
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }

        var length = new FileInfo(path).Length;
        if (length is < PostgresRolePassword.MinimumKeyBytes or > MaxFileBytes)
        {
            throw new InvalidDataException($"The database password key file {path} holds {length} bytes; it must hold {PostgresRolePassword.MinimumKeyBytes} to {MaxFileBytes}.");
        }

        return await File.ReadAllBytesAsync(path, cancellationToken);
    }
}
