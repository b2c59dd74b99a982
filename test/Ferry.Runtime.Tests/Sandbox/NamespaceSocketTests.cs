using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>
/// Sockets the server creates in a real sandbox's network namespace (<see cref="NamespaceSocketFactory"/>): they reach
/// the sandbox's loopback as a loopback client and give the sandbox no way out, and every thread of the server stays
/// in the server's own namespace.
/// </summary>
public sealed class NamespaceSocketTests : IDisposable
{
    /// <summary>
    /// A line server on 127.0.0.1:8080 in the sandbox: "peer" answers the client's address as the server sees it,
    /// "probe PORT" whether 127.0.0.1:PORT can be connected to from inside, "interfaces" the network interfaces.
    /// </summary>
    private const string LineServer =
        """
        import errno, socket, socketserver
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    words = line.decode().split()
                    if words[0] == "peer":
                        answer = "%s:%d" % self.client_address
                    elif words[0] == "probe":
                        s = socket.socket()
                        try:
                            s.connect(("127.0.0.1", int(words[1])))
                            answer = "connected"
                        except OSError as e:
                            answer = errno.errorcode[e.errno]
                        finally:
                            s.close()
                    else:
                        answer = ",".join(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:])
                    self.wfile.write((answer + "\n").encode())
        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            request_queue_size = 256
        server = Server(("127.0.0.1", 8080), Handler)
        print("listening", flush=True)
        server.serve_forever()
        """;

    private readonly SandboxTestFolders _folders = new();
    private readonly BubblewrapSandbox _sandbox = SandboxTestFolders.CreateBubblewrap();
    private readonly TcpListener _hostListener = new(IPAddress.Loopback, 0);
    private readonly NamespaceSocketFactory _factory = NamespaceSocketFactory.Start();

    public NamespaceSocketTests() => _hostListener.Start();

    private int HostPort => ((IPEndPoint)_hostListener.LocalEndpoint).Port;

    private static IPEndPoint PortInSandbox => new(IPAddress.Loopback, 8080);

    public void Dispose()
    {
        _factory.Dispose();
        _hostListener.Dispose();
        _sandbox.Dispose();
        _folders.Dispose();
    }

    [Fact]
    public async Task A_socket_made_in_the_sandboxs_namespace_is_a_loopback_client_there_and_the_sandbox_still_reaches_no_host_port()
    {
        await using var process = await StartLineServerAsync();
        using var sandboxNamespace = NetworkNamespace.OfSandbox(process.Pid, out var reason);
        Assert.True(sandboxNamespace is not null, reason);
        Assert.NotEqual(NetworkNamespace.OfThisProcess, sandboxNamespace.Identity);

        using var socket = await _factory.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None);
        await socket.ConnectAsync(PortInSandbox);

        Assert.True(socket.NoDelay);
        Assert.StartsWith("127.0.0.1:", await AskAsync(socket, "peer"), StringComparison.Ordinal);
        Assert.Equal(((IPEndPoint)socket.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (await AskAsync(socket, "peer")).Split(':')[1]);
        Assert.Equal("ECONNREFUSED", await AskAsync(socket, $"probe {HostPort}"));
        Assert.Equal("lo", await AskAsync(socket, "interfaces"));

        // The socket lives in the sandbox's network: the host's listener is not there, nothing listens on its port.
        using var toHost = await _factory.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await toHost.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostPort)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task After_many_sockets_every_thread_of_the_server_is_still_in_the_servers_own_namespace()
    {
        var host = NetworkNamespace.OfThisProcess;
        Assert.NotNull(host);
        await using var process = await StartLineServerAsync();
        using var sandboxNamespace = NetworkNamespace.OfSandbox(process.Pid, out var reason);
        Assert.True(sandboxNamespace is not null, reason);

        for (var i = 0; i < 100; i++)
        {
            using var socket = await _factory.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None);
            Assert.Equal(host, NetworkNamespace.OfThread(_factory.ThreadId));
            await socket.ConnectAsync(PortInSandbox);
            Assert.StartsWith("127.0.0.1:", await AskAsync(socket, "peer"), StringComparison.Ordinal);
        }

        // Many at once, from many thread-pool threads.
        var sockets = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            var socket = await _factory.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None);
            await socket.ConnectAsync(PortInSandbox);
            return socket;
        })));
        foreach (var socket in sockets)
        {
            Assert.StartsWith("127.0.0.1:", await AskAsync(socket, "peer"), StringComparison.Ordinal);
            socket.Dispose();
        }

        Assert.NotEqual(0, _factory.ThreadId);
        Assert.Equal(host, NetworkNamespace.OfThread(_factory.ThreadId));
        var threads = Directory.GetDirectories("/proc/self/task");
        Assert.All(threads, task => Assert.Equal(host, NetworkNamespace.OfThread(int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)) ?? host));

        // A socket made the ordinary way on a thread-pool thread is in the host's network: it reaches the host's listener.
        var accepted = _hostListener.AcceptSocketAsync();
        await Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostPort));
        });
        using var _ = await accepted;
    }

    [Fact]
    public async Task A_loopback_probe_is_refused_until_something_listens_in_the_sandbox_then_hands_over_its_connection()
    {
        await using var process = await StartLineServerAsync();
        using var sandboxNamespace = NetworkNamespace.OfSandbox(process.Pid, out var reason);
        Assert.True(sandboxNamespace is not null, reason);

        using var probe = await _factory.CreateLoopbackProbeAsync(sandboxNamespace, CancellationToken.None);
        // Refused again and again on the same socket: the host listener's port is not listened on inside the sandbox.
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(probe.TryConnect(HostPort));
            Assert.True(probe.IsUsable);
        }

        using var connected = probe.TryConnect(8080);
        Assert.NotNull(connected);
        Assert.False(probe.IsUsable);
        Assert.Throws<ObjectDisposedException>(() => probe.TryConnect(8080));
        Assert.True(connected.Connected);
        Assert.True(connected.NoDelay);
        // An ordinary socket from here on: asynchronous I/O, no timeout left behind from the probe.
        Assert.Equal(0, connected.SendTimeout);
        Assert.StartsWith("127.0.0.1:", await AskAsync(connected, "peer"), StringComparison.Ordinal);
        Assert.Equal(NetworkNamespace.OfThisProcess, NetworkNamespace.OfThread(_factory.ThreadId));

        using var another = await _factory.CreateLoopbackProbeAsync(sandboxNamespace, CancellationToken.None);
        Assert.Throws<ArgumentOutOfRangeException>(() => another.TryConnect(0));
        using var unavailable = NamespaceSocketFactory.Unavailable("a test says so");
        await Assert.ThrowsAsync<NamespaceEntryException>(() => unavailable.CreateLoopbackProbeAsync(sandboxNamespace, CancellationToken.None));
    }

    [Fact]
    public void A_process_without_a_network_of_its_own_gives_no_namespace()
    {
        using var sleeper = System.Diagnostics.Process.Start("sleep", "30");
        try
        {
            using var none = NetworkNamespace.OfSandbox(sleeper.Id, out var reason);

            Assert.Null(none);
            Assert.Contains("no process of the sandbox", reason, StringComparison.Ordinal);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public async Task A_closed_namespace_or_an_unavailable_factory_creates_no_socket()
    {
        await using var process = await StartLineServerAsync();
        var sandboxNamespace = NetworkNamespace.OfSandbox(process.Pid, out var reason);
        Assert.True(sandboxNamespace is not null, reason);
        using var unavailable = NamespaceSocketFactory.Unavailable("a test says so");

        await Assert.ThrowsAsync<NamespaceEntryException>(() => unavailable.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None));
        sandboxNamespace.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _factory.CreateTcpSocketAsync(sandboxNamespace, CancellationToken.None));
        Assert.Equal(NetworkNamespace.OfThisProcess, NetworkNamespace.OfThread(_factory.ThreadId));
    }

    /// <summary>The line server in a sandbox with a private network, once it listens.</summary>
    private async Task<ISandboxedProcess> StartLineServerAsync()
    {
        var spec = _folders.Shell("unused") with { Command = ["/usr/bin/python3", "-c", LineServer] };
        var process = await _sandbox.StartAsync(spec, CancellationToken.None);
        Assert.True(await process.Output.WaitToReadAsync());
        Assert.True(process.Output.TryRead(out var line));
        Assert.Equal("listening", line.Text);
        return process;
    }

    private static async Task<string> AskAsync(Socket socket, string question)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(question + "\n"));
        var answer = new StringBuilder();
        var buffer = new byte[256];
        while (answer.Length == 0 || answer[^1] != '\n')
        {
            var read = await socket.ReceiveAsync(buffer);
            Assert.True(read > 0, $"the line server closed the connection after '{question}'");
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString().TrimEnd('\n');
    }
}
