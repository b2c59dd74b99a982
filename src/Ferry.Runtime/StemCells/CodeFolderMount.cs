using System.Runtime.InteropServices;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// Puts a revision's code into a running stem cell with one mount instead of one hard link per file
/// (<see cref="CodeFolderFill"/> takes 110-170 ms for the 6,000-11,000 files of an Egg or Next.js app).
/// <para>
/// Before the cell's sandbox starts, its host code folder is bound onto itself as a mount of a new shared peer group
/// (<see cref="TryPrepare"/>). bubblewrap's copy of it at <c>/var/task</c> is then a slave of that group, so a mount
/// made later on the host folder appears at <c>/var/task</c> too: <see cref="Attach"/> binds the revision's code folder
/// there, read-only, nosuid and nodev from the moment it exists (the new mount API sets the flags on the detached copy
/// before it is attached, so no writable mount ever propagates). Propagation only goes from the host into the sandbox.
/// </para>
/// <para>
/// Needs root (mounting); where the kernel refuses, the cell keeps a plain folder and is filled with hard links.
/// Because the revision's bind is read-only, deleting a cell folder that is still mounted fails instead of deleting
/// the revision's files; <see cref="Detach"/> removes both mounts first.
/// </para>
/// </summary>
internal static partial class CodeFolderMount
{
    // Syscall numbers of the new mount API: the same on x86_64 and arm64 (the unified table from 424 up).
    private const long SysOpenTree = 428, SysMoveMount = 429, SysMountSetattr = 442;
    private const uint OpenTreeClone = 1, OpenTreeCloexec = 0x80000;
    private const uint AtEmptyPath = 0x1000;
    private const uint MoveMountFromEmptyPath = 0x4;
    private const ulong MountAttrReadOnly = 0x1, MountAttrNoSuid = 0x2, MountAttrNoDev = 0x4;
    private const int AtFdCwd = -100;

    /// <summary>
    /// Creates <paramref name="folder"/> and makes it a mount of its own shared peer group; false (with the reason)
    /// when the kernel refuses, after which the folder is a plain folder.
    /// </summary>
    public static bool TryPrepare(string folder, out string? failure)
    {
        Directory.CreateDirectory(folder);
        failure = null;
        if (MountCalls.Mount(folder, folder, null, MountCalls.Bind, IntPtr.Zero) != 0)
        {
            failure = MountCalls.Failure("bind-mount", folder).Message;
            return false;
        }

        // Private first: a bind inside a shared mount joins that mount's peer group, and the cell's mounts must
        // propagate to the cell's sandbox only.
        if (MountCalls.Mount(null, folder, null, MountCalls.Private, IntPtr.Zero) != 0
            || MountCalls.Mount(null, folder, null, MountCalls.Shared, IntPtr.Zero) != 0)
        {
            failure = MountCalls.Failure("make shared", folder).Message;
            Detach(folder);
            return false;
        }

        return true;
    }

    /// <summary>Binds <paramref name="source"/> read-only, nosuid and nodev onto the prepared <paramref name="folder"/>.</summary>
    /// <exception cref="IOException">The kernel refused one of the steps; nothing was attached.</exception>
    public static void Attach(string source, string folder)
    {
        var tree = OpenTree(SysOpenTree, AtFdCwd, source, OpenTreeClone | OpenTreeCloexec);
        if (tree < 0)
        {
            throw MountCalls.Failure("clone the mount of", source);
        }

        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle((IntPtr)tree, ownsHandle: true);
        var attributes = new MountAttributes { Set = MountAttrReadOnly | MountAttrNoSuid | MountAttrNoDev };
        if (SetAttributes(SysMountSetattr, (int)tree, string.Empty, AtEmptyPath, ref attributes, (nuint)Marshal.SizeOf<MountAttributes>()) != 0)
        {
            throw MountCalls.Failure("make read-only the mount of", source);
        }

        if (MoveMount(SysMoveMount, (int)tree, string.Empty, AtFdCwd, folder, MoveMountFromEmptyPath) != 0)
        {
            throw MountCalls.Failure("attach a mount at", folder);
        }
    }

    /// <summary>Lazily unmounts everything mounted at <paramref name="folder"/> (the revision's bind, then the self-bind).</summary>
    public static void Detach(string folder)
    {
        // Two mounts at most are stacked there; a few more tries cover a cell prepared twice by a crashed server.
        for (var i = 0; i < 4 && MountCalls.Unmount(folder, MountCalls.Detach) == 0; i++)
        {
        }
    }

    /// <summary>Detaches every mount below <paramref name="folder"/> (cells of a server that stopped without cleaning up).</summary>
    public static void DetachAllBelow(string folder)
    {
        foreach (var mountPoint in MountTable.MountPointsBelow(MountTable.Read(), folder))
        {
            Detach(mountPoint);
        }
    }

    /// <summary>Whether something is mounted at <paramref name="folder"/> (per /proc/self/mountinfo).</summary>
    internal static bool IsMountPoint(string folder) => MountTable.Read().Any(m => m.MountPoint == Path.TrimEndingDirectorySeparator(folder));

    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttributes
    {
        public ulong Set;
        public ulong Clear;
        public ulong Propagation;
        public ulong UserNamespaceFd;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long OpenTree(long number, int directoryFd, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long SetAttributes(long number, int directoryFd, string path, uint flags, ref MountAttributes attributes, nuint size);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long MoveMount(long number, int fromDirectoryFd, string fromPath, int toDirectoryFd, string toPath, uint flags);
}
