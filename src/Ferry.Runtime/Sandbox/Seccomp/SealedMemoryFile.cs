using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Runtime.Sandbox.Seccomp;

/// <summary>
/// Immutable bytes in an anonymous memory file (memfd_create), sealed against any change. Child processes open it
/// through <see cref="Path"/> (<c>/proc/PID/fd/N</c>), each getting its own read position; nothing touches the disk
/// and nothing is left behind when Ferry exits.
/// </summary>
internal sealed class SealedMemoryFile : IDisposable
{
    private const uint MfdCloexec = 0x1;
    private const uint MfdAllowSealing = 0x2;
    private const int FAddSeals = 1033;
    private const int FSealSeal = 0x1, FSealShrink = 0x2, FSealGrow = 0x4, FSealWrite = 0x8;

    private readonly SafeFileHandle _handle;

    private SealedMemoryFile(SafeFileHandle handle, int descriptor)
    {
        _handle = handle;
        Path = $"/proc/{Environment.ProcessId}/fd/{descriptor}";
    }

    /// <summary>A path child processes of this process can open for reading.</summary>
    public string Path { get; }

    /// <exception cref="Win32Exception">The kernel refused to create or seal the file.</exception>
    public static SealedMemoryFile Create(string name, ReadOnlySpan<byte> content)
    {
        var descriptor = MemfdCreate(name, MfdCloexec | MfdAllowSealing);
        if (descriptor < 0)
        {
            throw new Win32Exception(Marshal.GetLastWin32Error(), $"memfd_create({name}) failed");
        }

        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        try
        {
            RandomAccess.Write(handle, content, fileOffset: 0);
            if (Fcntl(descriptor, FAddSeals, FSealShrink | FSealGrow | FSealWrite | FSealSeal) < 0)
            {
                throw new Win32Exception(Marshal.GetLastWin32Error(), $"sealing memory file {name} failed");
            }

            return new SealedMemoryFile(handle, descriptor);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int MemfdCreate(string name, uint flags);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int descriptor, int command, int argument);
}
