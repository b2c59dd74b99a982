using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Instances;

/// <summary>
/// An instance of a web function: any HTTP server (Express, Flask, ASP.NET Core…) started with its <c>command</c>
/// and listening on <c>$PORT</c>. In a private network the port is published to the host as a UNIX socket, and the
/// instance is ready once the port listens in the sandbox (<see cref="WaitUntilReadyAsync"/>); otherwise the port is a
/// free host port, ready once it accepts connections. Then the gateway forwards to it through
/// <see cref="Client"/>: in a private network, when the server may (<see cref="NamespaceSocketFactory"/>), over sockets
/// it creates in the sandbox's network namespace and connects straight to the port there; else through the socket.
/// </summary>
public sealed class WebFunctionInstance : FunctionInstance
{
    /// <summary>The sandbox's network namespace, held open from readiness on; null: connect through <see cref="SocketPath"/>.</summary>
    private NetworkNamespace? _namespace;

    public WebFunctionInstance(FunctionRevision function, InstanceServices services) : base(function, services)
    {
    }

    /// <summary>
    /// An instance that starts by taking over a web <paramref name="stemCell"/>: its sandbox and bridges already run, so
    /// only the app itself starts (see <see cref="WebCellLaunch"/>).
    /// </summary>
    public WebFunctionInstance(FunctionRevision function, InstanceServices services, StemCell stemCell) : base(function, services, stemCell)
    {
    }

    /// <summary>$PORT inside a private network, where no other program competes for ports.</summary>
    internal const int PortInSandbox = 8080;

    private const string SocketName = "http.sock";
    private DirectoryInfo? _socketDirectory;
    private HttpMessageInvoker? _client;

    public override int Capacity => Function.Function.Scaling.Concurrency ?? Services.Options.WebConcurrencyPerInstance;

    /// <summary>The URL prefix of requests to the instance, e.g. <c>http://127.0.0.1:8080/</c>; send them with <see cref="Client"/>.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The host UNIX socket that reaches the instance's port; null when it listens on a host port.</summary>
    public string? SocketPath { get; private set; }

    /// <summary>Sends requests to this instance (whatever the address says, connections go to its socket or port), with a connection pool of its own.</summary>
    public HttpMessageInvoker Client => _client ?? throw new InvalidOperationException("The web function instance has not been started.");

    /// <summary>Whether new connections are made in the sandbox's network namespace (rather than through <see cref="SocketPath"/>).</summary>
    internal bool ConnectsInSandboxNamespace => Volatile.Read(ref _namespace) is not null;

    private NamespaceSocketFactory NamespaceSockets => Services.NamespaceSockets ?? NamespaceSocketFactory.ForThisServer;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var command = Function.Function.Command;
        if (command is null || command.Count == 0)
        {
            throw new InstanceStartException($"web function '{Function.Name}' has no command to start");
        }

        int port;
        EndPoint endpoint;
        var bridges = SandboxBridges.None;
        if (await TryTakeOverStemCellAsync(cell => cell.BecomeWebAsync(Function, command,
                FunctionEnvironment(AppEnvironment((cell.Published ?? throw new StemCellUnusableException("the stem cell is not a web cell")).Port)),
                cancellationToken)) is { Published: { } published })
        {
            port = published.Port;
            SocketPath = published.HostSocketPath;
            endpoint = new UnixDomainSocketEndPoint(SocketPath);
            bridges = new SandboxBridges { PublishedPort = published };
        }
        else if (HasPrivateNetwork)
        {
            port = PortInSandbox;
            _socketDirectory = Directory.CreateTempSubdirectory($"ferry-{Id}-");
            SocketPath = Path.Combine(_socketDirectory.FullName, SocketName);
            endpoint = new UnixDomainSocketEndPoint(SocketPath);
            bridges = new SandboxBridges { PublishedPort = new PublishedPort(port, SocketPath, ReadyFromHost: SandboxListeners.Supported) };
        }
        else
        {
            port = FreeLoopbackPort();
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
        }

        Address = new Uri($"http://127.0.0.1:{port}/");
        _client = CreateClient(endpoint, port);
        if (!FromStemCell)
        {
            await LaunchAsync(command, AppEnvironment(port), bridges, cancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Services.Options.StartTimeout);
        try
        {
            await WaitUntilReadyAsync(endpoint, bridges.PublishedPort, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstanceStartException(string.Create(CultureInfo.InvariantCulture,
                $"the web function did not listen on $PORT ({port}) within {Services.Options.StartTimeout.TotalSeconds:0} s; it must read the port from the PORT environment variable"));
        }

        if (SocketPath is not null)
        {
            OpenSandboxNamespace(final: true);
        }
    }

    /// <summary>
    /// Holds the sandbox's network namespace open, so that the gateway's connections are made in it from now on; keeps
    /// the published socket when this server cannot enter namespaces or the namespace is not found, and then says why
    /// once when <paramref name="final"/> (while the app starts, its sandbox's processes may still come and go).
    /// </summary>
    private bool OpenSandboxNamespace(bool final)
    {
        if (Volatile.Read(ref _namespace) is not null)
        {
            return true;
        }

        var sockets = NamespaceSockets;
        var reason = sockets.UnavailableReason;
        if (reason is null && NetworkNamespace.OfSandbox(Process.Pid, out reason) is { } opened)
        {
            if (Interlocked.CompareExchange(ref _namespace, opened, null) is not null)
            {
                opened.Dispose();
            }

            return true;
        }

        if (final || sockets.UnavailableReason is not null)
        {
            sockets.ReportFallback(Services.LoggerFactory.CreateLogger<WebFunctionInstance>(), reason!);
        }

        return false;
    }

    /// <summary>Variables that tell the app where it listens and under which prefix it is served.</summary>
    private Dictionary<string, string> AppEnvironment(int port) => new()
    {
        ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["HOST"] = "127.0.0.1",
        ["FERRY_BASE_PATH"] = PublicPrefix(Function),
    };

    /// <summary>
    /// Polls until the app listens: when the published socket is created at once, its forwarder must listen (read in the
    /// sandbox's UNIX socket table) and so must the port (<see cref="ListensInSandboxAsync"/>); else by connecting to
    /// the socket or port, which refuses until then. Polling often keeps the cold start short; a line the app prints
    /// brings the next check forward (<see cref="ReadinessWake"/>).
    /// </summary>
    private async Task WaitUntilReadyAsync(EndPoint endpoint, PublishedPort? published, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        int? member = null;
        var forwarderListens = false;
        Interlocked.Increment(ref _startsPolling);
        try
        {
            while (true)
            {
                _readinessWake.Arm();
                if (Exited.IsCompleted)
                {
                    var code = await Process.Exited;
                    throw new InstanceStartException($"the web function exited with code {code} before listening on $PORT; see the function's logs");
                }

                if (published is { ReadyFromHost: true })
                {
                    member ??= SandboxListeners.NamespaceMember(Process.Pid);
                    if (member is { } pid)
                    {
                        // The forwarder listens for as long as the sandbox lives (its exit is checked above): read once.
                        forwarderListens = forwarderListens || SandboxListeners.UnixListening(pid, BridgeLauncher.PublishedSocket(published));
                        if (forwarderListens && await ListensInSandboxAsync(pid, published.Port, cancellationToken))
                        {
                            return;
                        }
                    }
                }
                else if (await AcceptsConnectionsAsync(endpoint, cancellationToken))
                {
                    return;
                }

                await _readinessWake.WaitAsync(
                    MillisecondDelay.Delay(ReadinessPollInterval(Stopwatch.GetElapsedTime(started), Volatile.Read(ref _startsPolling)), cancellationToken));
            }
        }
        finally
        {
            _readinessWake.Disarm();
            Interlocked.Decrement(ref _startsPolling);
            _loopbackProbe?.Dispose();
            _loopbackProbe = null;
        }
    }

    /// <summary>Cuts the wait for the next readiness check short when the app prints a line while it starts.</summary>
    private readonly ReadinessWake _readinessWake = new();

    protected override void OnOutputLine() => _readinessWake.Printed();

    /// <summary>Web functions of this server waiting for their app to listen.</summary>
    private static int _startsPolling;

    /// <summary>
    /// How long to wait before the next readiness check, <paramref name="elapsed"/> into the start: 1 ms at first, growing
    /// with the time the app has taken (2% of it) up to 10 ms, so the check adds little to any start and costs little
    /// during a long one. While <paramref name="startsPolling"/> web functions start at once (a burst), each checks at
    /// most every 0.25 ms × that many, so that together they check about 4,000 times a second at most (a check costs
    /// the server some tens of microseconds) instead of taking the cores their apps need to start.
    /// </summary>
    internal static TimeSpan ReadinessPollInterval(TimeSpan elapsed, int startsPolling = 1) =>
        TimeSpan.FromMilliseconds(Math.Clamp(Math.Max(elapsed.TotalMilliseconds / 50, startsPolling * 0.25), 1, 10));

    /// <summary>
    /// Whether the app listens on <paramref name="port"/> in its sandbox: by connecting there from the sandbox's network
    /// namespace (refused at once until the app listens) where the server can enter it, else from the sandbox's TCP
    /// tables. Those <c>/proc/PID/net/tcp</c> reads walk the kernel's whole TCP hash table, 5-9 ms each on a host with
    /// 24 GiB of memory; the connect costs some tens of microseconds.
    /// </summary>
    private async Task<bool> ListensInSandboxAsync(int member, int port, CancellationToken cancellationToken)
    {
        if (!OpenSandboxNamespace(final: false) || await LoopbackProbeAsync(cancellationToken) is not { } loopback)
        {
            return SandboxListeners.TcpListening(member, port);
        }

        if (loopback.TryConnect(port) is not { } probe)
        {
            return false;
        }

        // The app accepted this connection: the first request goes over it (TakeProbeConnection) instead of a second one.
        _probeConnectedAt = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _probeConnection, probe)?.Dispose();
        return true;
    }

    /// <summary>The readiness probe's connection to the app, kept for the first request; <see cref="_probeConnectedAt"/> is when it was made.</summary>
    private Socket? _probeConnection;
    private long _probeConnectedAt;

    /// <summary>How long the probe's connection is used for a first request; older, the app may have given up on it.</summary>
    private static readonly TimeSpan ProbeConnectionFreshFor = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The probe's connection, once, while it is fresh and quiet (the app has neither closed it nor written on it, either
    /// of which makes it readable); else null. A stale one is closed before the caller connects anew, so an app that
    /// serves one connection at a time is not left waiting on it.
    /// </summary>
    private Socket? TakeProbeConnection()
    {
        if (Interlocked.Exchange(ref _probeConnection, null) is not { } probe)
        {
            return null;
        }

        if (Stopwatch.GetElapsedTime(_probeConnectedAt) < ProbeConnectionFreshFor && !probe.Poll(0, SelectMode.SelectRead))
        {
            return probe;
        }

        probe.Dispose();
        return null;
    }

    private static async Task<bool> AcceptsConnectionsAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = NewSocket(endpoint);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false; // not listening yet (or, for the socket, not even created yet)
        }
    }

    private static Socket NewSocket(EndPoint endpoint) => endpoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    /// <summary>
    /// An HTTP client whose every connection goes to <paramref name="endpoint"/>, or to <paramref name="port"/> in the
    /// sandbox's network namespace once that is open, pooling connections to this instance only.
    /// </summary>
    private HttpMessageInvoker CreateClient(EndPoint endpoint, int port) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ActivityHeadersPropagator = null,
        ConnectCallback = async (_, cancellationToken) =>
        {
            if (TakeProbeConnection() is { } probed)
            {
                return new NetworkStream(probed, ownsSocket: true);
            }

            if (await NamespaceSocketAsync(cancellationToken) is { } inside)
            {
                return await ConnectAsync(inside, new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            }

            return await ConnectAsync(NewSocket(endpoint), endpoint, cancellationToken);
        },
    });

    /// <summary>A new socket in the sandbox's network namespace; null when there is none to use (any more).</summary>
    private async Task<Socket?> NamespaceSocketAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _namespace) is not { } sandboxNamespace)
        {
            return null;
        }

        try
        {
            return await NamespaceSockets.CreateTcpSocketAsync(sandboxNamespace, cancellationToken);
        }
        catch (Exception ex) when (ex is NamespaceEntryException or ObjectDisposedException)
        {
            LeaveNamespace(sandboxNamespace, ex);
            return null;
        }
    }

    /// <summary>
    /// The readiness probe in the sandbox's network namespace, made on the first check and kept (a refused connect leaves
    /// it usable) until it connects; null when the namespace cannot be used (any more).
    /// </summary>
    private async Task<LoopbackProbe?> LoopbackProbeAsync(CancellationToken cancellationToken)
    {
        if (_loopbackProbe is { IsUsable: true } usable)
        {
            return usable;
        }

        if (Volatile.Read(ref _namespace) is not { } sandboxNamespace)
        {
            return null;
        }

        try
        {
            _loopbackProbe = await NamespaceSockets.CreateLoopbackProbeAsync(sandboxNamespace, cancellationToken);
            return _loopbackProbe;
        }
        catch (Exception ex) when (ex is NamespaceEntryException or ObjectDisposedException)
        {
            LeaveNamespace(sandboxNamespace, ex);
            return null;
        }
    }

    /// <summary>Only <see cref="WaitUntilReadyAsync"/> uses it, one check at a time, and disposes it when it ends.</summary>
    private LoopbackProbe? _loopbackProbe;

    /// <summary>Stops using the sandbox's namespace after <paramref name="ex"/>: this instance goes on through its sandbox's socat.</summary>
    private void LeaveNamespace(NetworkNamespace sandboxNamespace, Exception ex)
    {
        // Refused (or the instance is being disposed).
        if (Interlocked.CompareExchange(ref _namespace, null, sandboxNamespace) == sandboxNamespace)
        {
            sandboxNamespace.Dispose();
            if (ex is NamespaceEntryException)
            {
                NamespaceSockets.ReportFallback(Services.LoggerFactory.CreateLogger<WebFunctionInstance>(), ex.Message);
            }
        }
    }

    private static async Task<Stream> ConnectAsync(Socket socket, EndPoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The path prefix the gateway serves the app under and strips before forwarding (<c>/{service}/{stage}</c>, plus
    /// <c>@{region}</c> outside the default region); requests also carry it as <c>X-Forwarded-Prefix</c>.
    /// </summary>
    internal static string PublicPrefix(FunctionRevision function) => function.Region == Manifest.ManifestDefaults.Region
        ? $"/{function.Service}/{function.Stage}"
        : $"/{function.Service}/{function.Stage}@{function.Region}";

    /// <summary>A port the kernel just handed out, released for the instance to take.</summary>
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Meters one forwarded request (web functions write no START/END lines: they serve many at once).</summary>
    public Task RecordRequestAsync(string requestId, DateTimeOffset start, TimeSpan duration, InvocationStatus status, string? error, bool coldStart)
        => ReportAsync(requestId, start, duration, status, error, coldStart, writeLines: false);

    protected override ValueTask OnDisposingAsync()
    {
        _client?.Dispose();
        Interlocked.Exchange(ref _probeConnection, null)?.Dispose();
        Interlocked.Exchange(ref _namespace, null)?.Dispose();
        if (_socketDirectory is not null)
        {
            try
            {
                _socketDirectory.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover empty folder in the temp directory; nothing depends on it.
            }
        }

        return ValueTask.CompletedTask;
    }
}
