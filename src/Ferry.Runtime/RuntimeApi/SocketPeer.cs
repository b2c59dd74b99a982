using System.Globalization;
using System.Net.Sockets;

namespace Ferry.Runtime.RuntimeApi;

/// <summary>
/// Which process is at the other end of a UNIX socket connection (SO_PEERCRED, set by the kernel at connect time
/// and so impossible to forge), and the chain of its parent processes (from /proc).
/// </summary>
internal static class SocketPeer
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int MaxDepth = 64;

    /// <summary>The peer's pid as seen from Ferry's pid namespace; null when the socket can't tell.</summary>
    public static int? ProcessId(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) >= 4 && BitConverter.ToInt32(credentials) is > 0 and var pid ? pid : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary><paramref name="pid"/>, its parent, its parent's parent… up to (not including) pid 1; empty when it is gone.</summary>
    public static IEnumerable<int> SelfAndAncestors(int pid)
    {
        for (var depth = 0; depth < MaxDepth && pid > 1; depth++)
        {
            yield return pid;
            if (ParentOf(pid) is not { } parent)
            {
                yield break;
            }

            pid = parent;
        }
    }

    private static int? ParentOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }
}
