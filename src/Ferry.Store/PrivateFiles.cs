namespace Ferry.Store;

/// <summary>Owner-only files for the store: SQLite gives its -wal and -shm files the mode of the database file.</summary>
public static class PrivateFiles
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> empty with mode 0600 when missing; sets 0600 when it exists (and on its
    /// SQLite companions -wal, -shm, -journal left by an earlier start).</summary>
    public static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerReadWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
        }

        File.SetUnixFileMode(path, OwnerReadWrite);
        foreach (var companion in new[] { path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(companion))
            {
                File.SetUnixFileMode(companion, OwnerReadWrite);
            }
        }
    }
}
