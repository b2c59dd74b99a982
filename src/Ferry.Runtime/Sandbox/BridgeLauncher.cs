using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// The first program of a sandbox with <see cref="SandboxBridges"/>: a POSIX sh script that starts one socat
/// forwarder per host service, waits until they listen, then execs the function (which keeps the script's pid).
/// A published port's forwarder listens at once when the host reads readiness itself (<c>publish-now</c>, see
/// <see cref="SandboxListeners"/>); otherwise (<c>publish</c>) it is started only once the function listens, so the
/// socket's appearance on the host means "ready". Inside, readiness is read from /proc/net/tcp{,6}, which in a private
/// network namespace lists this sandbox's sockets only; no probe connection ever reaches the function. The listeners
/// get a long backlog (socat's default is 5): a burst of requests must queue, not be refused. A connection half-closed
/// by one side waits up to 900 s (Lambda's longest timeout) for the other side's answer: socat's default of 0.5 s cut
/// off answers slower than that to clients that shut down their sending side.
/// </summary>
internal static class BridgeLauncher
{
    public const string HostServiceFolder = SandboxPaths.Bridges + "/host";
    public const string PublishedFolder = SandboxPaths.Bridges + "/published";

    /// <summary>Usage: ferry-bridge SOCAT [host PORT SOCKET]... [publish|publish-now PORT SOCKET] -- PROGRAM ARG...</summary>
    private const string Script =
        """
        # $socat and $sleep_program are unquoted on purpose: in a sandbox with its own root they are several words
        # (the host's loader, its library path, the program), since the image may have neither socat nor sleep.
        socat=$1
        shift
        # listening HEXPORT: whether a socket of this network namespace listens on the port (state 0A in /proc/net/tcp).
        listening() {
          for table in /proc/net/tcp /proc/net/tcp6; do
            while read -r _ local _ state _; do
              if [ "$state" = 0A ] && [ "${local##*:}" = "$1" ]; then return 0; fi
            done < "$table"
          done
          return 1
        }
        host_ports= publish_port= publish_socket=
        while [ "$1" != "--" ]; do
          case "$1" in
            host)
              $socat -t 900 TCP-LISTEN:"$2",bind=127.0.0.1,fork,reuseaddr,backlog=1024 UNIX-CONNECT:"$3" </dev/null &
              host_ports="$host_ports $2"
              ;;
            publish)
              publish_port=$2 publish_socket=$3
              ;;
            publish-now)
              $socat -t 900 UNIX-LISTEN:"$3",fork,unlink-early,backlog=1024 TCP:127.0.0.1:"$2" </dev/null &
              ;;
            *)
              echo "ferry-bridge: unknown bridge '$1'" >&2
              exit 125
              ;;
          esac
          shift 3
        done
        shift
        for port in $host_ports; do
          hex=$(printf '%04X' "$port")
          until listening "$hex"; do $sleep_program 0.002; done
        done
        if [ -n "$publish_port" ]; then
          function_pid=$$
          (
            hex=$(printf '%04X' "$publish_port")
            until listening "$hex"; do
              kill -0 "$function_pid" 2>/dev/null || exit 0
              $sleep_program 0.005
            done
            exec $socat -t 900 UNIX-LISTEN:"$publish_socket",fork,unlink-early,backlog=1024 TCP:127.0.0.1:"$publish_port" </dev/null
          ) &
        fi
        exec "$@"
        """;

    /// <summary>argv (as seen inside the sandbox) that bridges the network, then runs <paramref name="command"/>.</summary>
    /// <param name="socat">Sandbox path of socat.</param>
    public static IReadOnlyList<string> Wrap(SandboxBridges bridges, string socat, IReadOnlyList<string> command)
        => Wrap(bridges, ["/bin/sh"], "sleep_program=sleep\n", socat, command);

    /// <summary>
    /// The same for a sandbox with its own root filesystem: the script, socat and sleep run from the host's system
    /// folders (<paramref name="tools"/>), not from the image.
    /// </summary>
    public static IReadOnlyList<string> Wrap(SandboxBridges bridges, HostTools tools, IReadOnlyList<string> command)
        => Wrap(bridges, tools.Shell, $"sleep_program='{string.Join(' ', tools.Sleep)}'\n", string.Join(' ', tools.Socat), command);

    private static List<string> Wrap(SandboxBridges bridges, IReadOnlyList<string> shell, string prologue, string socat, IReadOnlyList<string> command)
    {
        var argv = new List<string>(shell) { "-c", prologue + Script, "ferry-bridge", socat };
        foreach (var service in bridges.HostServices)
        {
            argv.AddRange(["host", Port(service.Port), HostServiceSocket(service)]);
        }

        if (bridges.PublishedPort is { } published)
        {
            argv.AddRange([published.ReadyFromHost ? "publish-now" : "publish", Port(published.Port), PublishedSocket(published)]);
        }

        argv.Add("--");
        argv.AddRange(command);
        return argv;
    }

    /// <summary>Where a host service's socket is mounted inside the sandbox.</summary>
    public static string HostServiceSocket(HostServiceBridge service) => HostServiceSocket(service.Port);

    /// <summary>Where the socket of the host service bridged to <c>127.0.0.1:<paramref name="port"/></c> is mounted inside the sandbox.</summary>
    public static string HostServiceSocket(int port) => $"{HostServiceFolder}/{Port(port)}.sock";

    /// <summary>Where the published port's socket is created inside the sandbox.</summary>
    public static string PublishedSocket(PublishedPort published) => $"{PublishedFolder}/{Path.GetFileName(published.HostSocketPath)}";

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
