using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// A network namespace held open through a file descriptor of its <c>/proc/PID/ns/net</c>. The descriptor, not the
/// pid, names the namespace from then on: as long as this object lives it is that same namespace (the kernel keeps
/// it alive), so a pid recycled after the sandbox exited can never lead into anyone else's network.
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int ReadOnly = 0, CloseOnExec = 0x80000;

    private NetworkNamespace(SafeFileHandle handle, string identity)
    {
        Handle = handle;
        Identity = identity;
    }

    /// <summary>The open namespace file, for <c>setns</c>.</summary>
    internal SafeFileHandle Handle { get; }

    /// <summary>The namespace's identity as the kernel writes it, e.g. <c>net:[4026532591]</c> (its nsfs inode).</summary>
    public string Identity { get; }

    /// <summary>The network namespace of this process (of its main thread), e.g. <c>net:[4026531840]</c>; null if unreadable.</summary>
    public static string? OfThisProcess => LinkTarget("/proc/self/ns/net");

    /// <summary>The network namespace process <paramref name="pid"/> is in, e.g. <c>net:[4026531840]</c>; null if it is gone or unreadable.</summary>
    internal static string? IdentityOf(int pid) => LinkTarget($"/proc/{pid}/ns/net");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    /// <summary>
    /// Opens the network namespace of the sandbox started as <paramref name="outerPid"/> (bubblewrap, which stays in the
    /// host's namespace): that of its first descendant in another namespace (<see cref="SandboxListeners.NamespaceMember"/>).
    /// Null, with the <paramref name="reason"/>, when there is no such process or its namespace is the server's own.
    /// </summary>
    public static NetworkNamespace? OfSandbox(int outerPid, out string? reason)
    {
        var host = OfThisProcess;
        if (host is null)
        {
            reason = "the server cannot read its own network namespace (/proc/self/ns/net)";
            return null;
        }

        if (SandboxListeners.NamespaceMember(outerPid) is not { } member)
        {
            reason = "no process of the sandbox is in a network namespace of its own";
            return null;
        }

        var opened = TryOpen($"/proc/{member}/ns/net");
        if (opened is null)
        {
            reason = "the sandbox's network namespace could not be opened";
            return null;
        }

        // The pid was found before its namespace was opened: make sure it still is that sandbox's member (a pid the
        // sandbox's exit released and another process took would not be bubblewrap's descendant) and that what was
        // opened is that member's namespace, and no one's the server is in.
        if (opened.Identity == host || SandboxListeners.NamespaceMember(outerPid) != member
            || IdentityOf(member) != opened.Identity)
        {
            opened.Dispose();
            reason = "the sandbox's network namespace changed while it was opened";
            return null;
        }

        reason = null;
        return opened;
    }

    /// <summary>Opens the network namespace the calling thread is in (<c>/proc/thread-self/ns/net</c>).</summary>
    /// <exception cref="IOException">It could not be opened.</exception>
    internal static NetworkNamespace OfCallingThread() =>
        TryOpen("/proc/thread-self/ns/net") ?? throw new IOException($"could not open /proc/thread-self/ns/net: {Marshal.GetLastPInvokeErrorMessage()}");

    /// <summary>The network namespace a thread of this process is in, by its native thread id; null if unreadable.</summary>
    internal static string? OfThread(int threadId) => LinkTarget($"/proc/self/task/{threadId}/ns/net");

    private static NetworkNamespace? TryOpen(string path)
    {
        var fd = Open(path, ReadOnly | CloseOnExec, 0);
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (LinkTarget($"/proc/self/fd/{fd}") is { } identity && identity.StartsWith("net:[", StringComparison.Ordinal))
        {
            return new NetworkNamespace(handle, identity);
        }

        handle.Dispose();
        return null;
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose() => Handle.Dispose();
}
