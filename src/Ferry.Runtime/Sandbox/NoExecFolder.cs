using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// A host folder bind-mounted onto itself with <c>nosuid,nodev,noexec</c>, so that every bind mount of a folder below
/// it (the data folders sandboxes write, such as SQLite database folders) carries the same flags: bubblewrap keeps
/// the source's flags, and inside a user namespace the sandbox cannot clear them. Nothing a function writes there can
/// ever be executed, by the function or by anything on the host that reaches the folder. Needs root; disposing
/// detaches the mount. A mount left behind by a crashed server is taken over.
/// </summary>
public sealed partial class NoExecFolder : IDisposable
{
    private const ulong MsNoSuid = 0x2, MsNoDev = 0x4, MsNoExec = 0x8, MsRemount = 0x20, MsBind = 0x1000;
    private const int MntDetach = 0x2;

    private readonly string _path;
    private int _disposed;

    private NoExecFolder(string path) => _path = path;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string? source, string target, string? fileSystemType, ulong flags, IntPtr data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unmount(string target, int flags);

    /// <summary>Mounts <paramref name="folder"/> (created if missing) onto itself without exec, setuid and device rights.</summary>
    /// <exception cref="IOException">The kernel refused the mount.</exception>
    public static NoExecFolder Mount(string folder)
    {
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        Directory.CreateDirectory(path);
        if (!IsNoExecMountPoint(path))
        {
            if (Mount(path, path, null, MsBind, IntPtr.Zero) != 0)
            {
                throw Failure("bind-mount", path);
            }

            if (Mount(null, path, null, MsRemount | MsBind | MsNoSuid | MsNoDev | MsNoExec, IntPtr.Zero) != 0)
            {
                var failure = Failure("remount nosuid,nodev,noexec", path);
                _ = Unmount(path, MntDetach);
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
            _ = Unmount(_path, MntDetach);
        }
    }

    private static IOException Failure(string operation, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"could not {operation} {path}: {new Win32Exception(error).Message}", error);
    }
}
