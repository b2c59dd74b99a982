using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// File owners on the host (.NET has no managed chown or stat of the owner): statx(2), lchown(2), geteuid(2).
/// Symbolic links are never followed.
/// </summary>
internal static partial class HostFileOwnership
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>
    /// struct statx has the same layout on every architecture; stx_uid is at byte 20, stx_gid at 24, stx_mode at 28.
    /// The buffer is the struct's full size (256 bytes).
    /// </summary>
    private const int StatxSize = 256;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryDescriptor, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    /// <summary>The effective uid of this process.</summary>
    public static int EffectiveUserId => (int)GetEffectiveUserId();

    /// <summary>Owner and group of <paramref name="path"/> itself (a link is not followed).</summary>
    /// <exception cref="IOException">statx failed.</exception>
    public static (int Uid, int Gid) GetOwner(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw Failure("stat", path);
        }

        return ((int)BitConverter.ToUInt32(buffer[20..]), (int)BitConverter.ToUInt32(buffer[24..]));
    }

    /// <summary>Changes owner and group of <paramref name="path"/> itself; -1 keeps one of them.</summary>
    /// <exception cref="IOException">lchown failed.</exception>
    public static void SetOwner(string path, int uid, int gid)
    {
        if (LChown(path, unchecked((uint)uid), unchecked((uint)gid)) != 0)
        {
            throw Failure("chown", path);
        }
    }

    private static IOException Failure(string operation, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"{operation} {path}: {new Win32Exception(error).Message}", error);
    }
}
