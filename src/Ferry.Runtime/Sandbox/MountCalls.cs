using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox;

/// <summary>mount(2) and umount2(2), their flags, and the error a refused call becomes (root only, Linux).</summary>
internal static partial class MountCalls
{
    public const ulong NoSuid = 0x2, NoDev = 0x4, NoExec = 0x8, Remount = 0x20, Bind = 0x1000, Private = 0x40000, Shared = 0x100000;

    /// <summary>umount2's MNT_DETACH: lazy, the mount disappears at once and is freed when no longer in use.</summary>
    public const int Detach = 0x2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string? source, string target, string? fileSystemType, ulong flags, IntPtr data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unmount(string target, int flags);

    /// <summary>The last P/Invoke's error as "could not OPERATION PATH: reason".</summary>
    public static IOException Failure(string operation, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"could not {operation} {path}: {new Win32Exception(error).Message}", error);
    }
}
