using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Reads, from the host, which sockets listen inside a sandbox's private network: <c>/proc/PID/net/*</c> of a process
/// in that network namespace lists that namespace's sockets only. A web function is ready when its port listens;
/// reading that here costs the host a small file read per poll, where a poll loop inside the sandbox (a shell reading
/// the same table byte by byte) took most of the instance's CPU quota while the app was starting.
/// </summary>
internal static class SandboxListeners
{
    /// <summary>TCP state LISTEN in <c>/proc/net/tcp</c>.</summary>
    private const string TcpListen = "0A";

    /// <summary><c>__SO_ACCEPTCON</c> in the flags column of <c>/proc/net/unix</c>: the socket listens.</summary>
    private const int UnixAcceptsConnections = 0x10000;

    /// <summary>
    /// Whether this host lets Ferry read a sandbox's sockets: its own process's child list and socket tables are
    /// readable. Without that, a published port is waited for inside the sandbox (see <see cref="PublishedPort.ReadyFromHost"/>).
    /// </summary>
    public static bool Supported { get; } = Probe();

    private static bool Probe()
    {
        var self = Environment.ProcessId;
        return File.Exists($"/proc/{self}/task/{self}/children") && File.Exists($"/proc/{self}/net/tcp") && File.Exists($"/proc/{self}/net/unix");
    }

    /// <summary>
    /// A process in the network namespace of the sandbox started as <paramref name="outerPid"/> (bubblewrap, which itself
    /// stays in the host's namespace): the first descendant whose network namespace differs; null while there is none yet.
    /// </summary>
    public static int? NamespaceMember(int outerPid)
    {
        var outer = NetworkNamespace.IdentityOf(outerPid);
        if (outer is null)
        {
            return null;
        }

        var generation = new List<int> { outerPid };
        for (var depth = 0; depth < 3 && generation.Count > 0; depth++)
        {
            var next = new List<int>();
            foreach (var parent in generation)
            {
                foreach (var child in Children(parent))
                {
                    if (NetworkNamespace.IdentityOf(child) is { } ns && ns != outer)
                    {
                        return child;
                    }

                    next.Add(child);
                }
            }

            generation = next;
        }

        return null;
    }

    /// <summary>Whether a TCP socket (IPv4 or IPv6) in the network namespace of <paramref name="memberPid"/> listens on <paramref name="port"/>.</summary>
    public static bool TcpListening(int memberPid, int port)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        return TcpTableListens($"/proc/{memberPid}/net/tcp", hexPort) || TcpTableListens($"/proc/{memberPid}/net/tcp6", hexPort);
    }

    /// <summary>Whether a UNIX socket bound to <paramref name="path"/> (as the sandbox names it) listens in the namespace of <paramref name="memberPid"/>.</summary>
    public static bool UnixListening(int memberPid, string path)
    {
        foreach (var line in ReadLines($"/proc/{memberPid}/net/unix"))
        {
            // Num RefCount Protocol Flags Type St Inode Path
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 8 && columns[7] == path
                && int.TryParse(columns[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                && (flags & UnixAcceptsConnections) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a table in the format of <c>/proc/net/tcp</c> has a listening socket on the port (4 hex digits).</summary>
    internal static bool TcpTableListens(IEnumerable<string> lines, string hexPort)
    {
        foreach (var line in lines)
        {
            // sl local_address rem_address st ...: "0: 0100007F:1F90 00000000:0000 0A ..."
            var columns = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 4 && columns[3] == TcpListen && columns[1].EndsWith(":" + hexPort, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TcpTableListens(string table, string hexPort) => TcpTableListens(ReadLines(table), hexPort);

    private static IEnumerable<string> ReadLines(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return []; // the process is gone (the sandbox exited): nothing listens
        }

        return text.Split('\n').Skip(1);
    }

    private static IEnumerable<int> Children(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var child) ? child : 0)
            .Where(child => child > 0)
            .ToList();
    }
}
