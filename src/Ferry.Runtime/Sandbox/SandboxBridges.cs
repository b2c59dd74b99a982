namespace Ferry.Runtime.Sandbox;

/// <summary>
/// How a sandbox with a private network talks to the host: only through UNIX sockets, which are files and so
/// cross network namespaces exactly where they are bind-mounted. Small forwarders inside the sandbox turn them
/// into loopback TCP, so the function uses plain <c>127.0.0.1:PORT</c> addresses.
/// </summary>
public sealed record SandboxBridges
{
    public static readonly SandboxBridges None = new();

    /// <summary>Host services the function reaches as <c>127.0.0.1:Port</c> (for example the Lambda Runtime API).</summary>
    public IReadOnlyList<HostServiceBridge> HostServices { get; init; } = [];

    /// <summary>The TCP port the function listens on, published to the host as a UNIX socket.</summary>
    public PublishedPort? PublishedPort { get; init; }

    public bool IsEmpty => HostServices.Count == 0 && PublishedPort is null;
}

/// <summary>Connections to <c>127.0.0.1:<paramref name="Port"/></c> inside the sandbox reach the host's UNIX socket <paramref name="HostSocketPath"/>.</summary>
public sealed record HostServiceBridge(int Port, string HostSocketPath);

/// <summary>
/// Connections to the host's UNIX socket <paramref name="HostSocketPath"/> reach <c>127.0.0.1:<paramref name="Port"/></c>
/// inside the sandbox. The socket's folder is mounted writable into the sandbox (the socket is created from inside), so
/// it must be an empty folder used by this sandbox alone.
/// </summary>
/// <param name="ReadyFromHost">
/// True: the socket is created at once and the host tells readiness from the sandbox's socket tables
/// (<see cref="SandboxListeners"/>). False: the socket appears only once the port listens, so its appearance means
/// "ready" (a poll loop inside the sandbox waits for the port; for hosts where the tables cannot be read).
/// </param>
public sealed record PublishedPort(int Port, string HostSocketPath, bool ReadyFromHost = false);
