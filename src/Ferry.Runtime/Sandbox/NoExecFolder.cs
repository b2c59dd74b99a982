namespace Ferry.Runtime.Sandbox;

/// <summary>
/// A host folder bind-mounted onto itself with <c>nosuid,nodev,noexec</c>, so that every bind mount of a folder below
/// it (the data folders sandboxes write, such as SQLite database folders) carries the same flags: bubblewrap keeps
/// the source's flags, and inside a user namespace the sandbox cannot clear them. Nothing a function writes there can
/// ever be executed, by the function or by anything on the host that reaches the folder. Needs root; disposing
/// detaches the mount. A mount left behind by a crashed server is taken over.
/// </summary>
public sealed class NoExecFolder : IDisposable
{
    private readonly string _path;
    private int _disposed;

    private NoExecFolder(string path) => _path = path;

    /// <summary>Mounts <paramref name="folder"/> (created if missing) onto itself without exec, setuid and device rights.</summary>
    /// <exception cref="IOException">The kernel refused the mount.</exception>
    public static NoExecFolder Mount(string folder)
    {
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        Directory.CreateDirectory(path);
        if (!IsNoExecMountPoint(path))
        {
            if (MountCalls.Mount(path, path, null, MountCalls.Bind, IntPtr.Zero) != 0)
            {
                throw MountCalls.Failure("bind-mount", path);
            }

            if (MountCalls.Mount(null, path, null, MountCalls.Remount | MountCalls.Bind | MountCalls.NoSuid | MountCalls.NoDev | MountCalls.NoExec, IntPtr.Zero) != 0)
            {
                var failure = MountCalls.Failure("remount nosuid,nodev,noexec", path);
                _ = MountCalls.Unmount(path, MountCalls.Detach);
                throw failure;
            }
        }

        return new NoExecFolder(path);
    }

    /// <summary>Whether <paramref name="path"/> is a mount point with noexec (per /proc/self/mountinfo).</summary>
    public static bool IsNoExecMountPoint(string path) =>
        MountTable.Read().Any(m => m.MountPoint == path && m.Options.Contains("noexec"));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = MountCalls.Unmount(_path, MountCalls.Detach);
        }
    }
}
