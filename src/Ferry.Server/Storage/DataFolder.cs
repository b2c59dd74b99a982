namespace Ferry.Server.Storage;

/// <summary>
/// The modes of the data folder and of what Ferry keeps in it: the folder itself 0700, the store, key ring, admin
/// token and uploaded archives owner-only. Extracted code (<c>code/</c>), images and database folders are left as
/// they are: sandboxes that run as other uids read them through bind mounts.
/// </summary>
public static class DataFolder
{
    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Top-level files that hold secrets (the SQLite store with its companions, the first admin token).</summary>
    private static readonly string[] PrivateFiles =
        ["ferry.db", "ferry.db-wal", "ferry.db-shm", "ferry.db-journal", "admin-token", "resource-secret.key"];

    /// <summary>Folders whose every file is private: the Data Protection key ring and the uploaded archives.</summary>
    private static readonly string[] PrivateTrees = ["keys", "artifacts"];

    /// <summary>
    /// Folders closed at their top only (what is below can be large; new files in them are created owner-only):
    /// buckets, and the scratch folder of installs in progress.
    /// </summary>
    private static readonly string[] PrivateRoots = ["buckets", "scratch"];

    /// <summary>
    /// Creates the data folder 0700, or tightens an existing one (and the files in it that an older Ferry created
    /// with the process umask) at start-up.
    /// </summary>
    public static void Secure(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory, OwnerOnlyDirectory);
        File.SetUnixFileMode(dataDirectory, OwnerOnlyDirectory);
        foreach (var name in PrivateFiles)
        {
            var path = Path.Combine(dataDirectory, name);
            if (File.Exists(path))
            {
                File.SetUnixFileMode(path, OwnerOnlyFile);
            }
        }

        foreach (var name in PrivateTrees)
        {
            TightenTree(Path.Combine(dataDirectory, name));
        }

        foreach (var name in PrivateRoots)
        {
            var root = Path.Combine(dataDirectory, name);
            if (Directory.Exists(root))
            {
                File.SetUnixFileMode(root, OwnerOnlyDirectory);
            }
        }
    }

    /// <summary>Folders 0700 and regular files 0600, all the way down (symlinks are not followed).</summary>
    public static void TightenTree(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        File.SetUnixFileMode(root, OwnerOnlyDirectory);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true,
                     AttributesToSkip = FileAttributes.ReparsePoint,
                     IgnoreInaccessible = true,
                 }))
        {
            entry.UnixFileMode = entry is DirectoryInfo ? OwnerOnlyDirectory : OwnerOnlyFile;
        }
    }
}
