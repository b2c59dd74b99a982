using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>The private network of a bubblewrap sandbox, and the UNIX-socket bridges through it.</summary>
public sealed class SandboxNetworkTests : IDisposable
{
    /// <summary>Connects to 127.0.0.1:$1 and prints "connected" or the errno name.</summary>
    private const string ConnectProbe =
        """
        import errno, socket, sys
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", int(sys.argv[1])))
            print("connected")
        except OSError as e:
            print(errno.errorcode[e.errno])
        """;

    /// <summary>An HTTP/1.1 server on $PORT that answers "hello from PATH", once /var/task/go exists.</summary>
    private const string HttpServer =
        """
        import http.server, os, time
        print("waiting", flush=True)
        while not os.path.exists("/var/task/go"):
            time.sleep(0.01)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = f"hello from {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256
        Server(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """;

    private readonly SandboxTestFolders _folders = new();
    private readonly BubblewrapSandbox _sandbox = SandboxTestFolders.CreateBubblewrap();
    private readonly TcpListener _hostListener = new(IPAddress.Loopback, 0);

    public SandboxNetworkTests() => _hostListener.Start();

    private int HostPort => ((IPEndPoint)_hostListener.LocalEndpoint).Port;

    public void Dispose()
    {
        _hostListener.Dispose();
        _sandbox.Dispose();
        _folders.Dispose();
    }

    [Fact]
    public async Task A_private_network_has_only_loopback_and_reaches_no_host_port()
    {
        var spec = _folders.Shell("unused") with { Command = ["/usr/bin/python3", "-c", ConnectProbe, HostPort.ToString()] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);
        var interfaces = await SandboxRun.RunAsync(_sandbox, _folders.Shell("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"));

        Assert.Equal(["ECONNREFUSED"], run.Stdout);
        Assert.Equal(["lo"], interfaces.Stdout);
    }

    [Fact]
    public async Task Allowing_outbound_network_shares_the_hosts_network()
    {
        var spec = _folders.Shell("unused") with
        {
            AllowOutboundNetwork = true,
            Command = ["/usr/bin/python3", "-c", ConnectProbe, HostPort.ToString()],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(["connected"], run.Stdout);
    }

    [Fact]
    public async Task A_host_service_bridge_reaches_a_host_unix_socket_as_a_loopback_port()
    {
        using var service = new HostLineService(Path.Combine(_folders.Root, "service.sock"));
        var spec = ThroughHostServiceBridge(service,
            """
            import socket
            s = socket.create_connection(("127.0.0.1", 9001))
            s.sendall(b"hello\n")
            print(s.makefile().readline().strip())
            """);

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["host got: hello"], run.Stdout);
        await service.Answered;
    }

    [Fact]
    public async Task A_published_port_appears_on_the_host_as_a_socket_once_the_function_listens()
    {
        var socketDirectory = Directory.CreateDirectory(Path.Combine(_folders.Root, "published"));
        var socketPath = Path.Combine(socketDirectory.FullName, "http.sock");
        var spec = _folders.Shell("unused") with
        {
            Bridges = new SandboxBridges { PublishedPort = new PublishedPort(8080, socketPath) },
            Environment = new Dictionary<string, string> { ["PORT"] = "8080" },
            Command = ["/usr/bin/python3", "-c", HttpServer],
        };
        await using var process = await _sandbox.StartAsync(spec, CancellationToken.None);
        Assert.True(await process.Output.WaitToReadAsync());
        Assert.True(process.Output.TryRead(out var waiting));
        Assert.Equal("waiting", waiting.Text);

        await Task.Delay(300);
        Assert.False(File.Exists(socketPath), "the socket must not appear before the function listens");

        await File.WriteAllTextAsync(Path.Combine(_folders.CodeDirectory, "go"), "");
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, ct) => ConnectUnixAsync(socketPath, ct) });
        await WaitForSocketAsync(socketPath, process);
        var first = await client.GetStringAsync("http://127.0.0.1:8080/first");
        var second = await client.GetStringAsync("http://127.0.0.1:8080/second");

        Assert.Equal("hello from /first", first);
        Assert.Equal("hello from /second", second);
    }

    [Fact]
    public async Task A_port_published_at_once_is_seen_listening_from_the_host_only_once_the_function_listens()
    {
        Assert.True(SandboxListeners.Supported, "this host must let Ferry read /proc/PID/task/PID/children and /proc/PID/net/*");
        var socketPath = Path.Combine(Directory.CreateDirectory(Path.Combine(_folders.Root, "published")).FullName, "http.sock");
        var published = new PublishedPort(8080, socketPath, ReadyFromHost: true);
        var spec = _folders.Shell("unused") with
        {
            Bridges = new SandboxBridges { PublishedPort = published },
            Environment = new Dictionary<string, string> { ["PORT"] = "8080" },
            Command = ["/usr/bin/python3", "-c", HttpServer],
        };
        await using var process = await _sandbox.StartAsync(spec, CancellationToken.None);
        Assert.True(await process.Output.WaitToReadAsync());
        Assert.True(process.Output.TryRead(out var waiting));
        Assert.Equal("waiting", waiting.Text);

        // The forwarder listens from the start; the function's port does not yet, and the host sees exactly that.
        await WaitForSocketAsync(socketPath, process);
        var member = await EventuallyAsync(() => SandboxListeners.NamespaceMember(process.Pid), "a process in the sandbox's network namespace");
        Assert.NotEqual(process.Pid, member);
        await EventuallyAsync(() => SandboxListeners.UnixListening(member, BridgeLauncher.PublishedSocket(published)) ? true : (bool?)null, "the forwarder's socket listening");
        Assert.False(SandboxListeners.TcpListening(member, 8080));
        Assert.True(SandboxListeners.TcpListening(Environment.ProcessId, HostPort), "the host's own listener is in the host's table");
        Assert.False(SandboxListeners.TcpListening(member, HostPort), "the host's listener is not in the sandbox's table");

        await File.WriteAllTextAsync(Path.Combine(_folders.CodeDirectory, "go"), "");
        await EventuallyAsync(() => SandboxListeners.TcpListening(member, 8080) ? true : (bool?)null, "the function's port listening");
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, ct) => ConnectUnixAsync(socketPath, ct) });
        Assert.Equal("hello from /ready", await client.GetStringAsync("http://127.0.0.1:8080/ready"));
    }

    [Fact]
    public async Task A_half_closed_connection_through_a_host_service_bridge_still_gets_a_slow_answer()
    {
        // socat's default gives up 0.5 s after a half-close.
        using var service = new HostLineService(Path.Combine(_folders.Root, "service.sock"), answerAfter: TimeSpan.FromSeconds(1.5));
        var spec = ThroughHostServiceBridge(service,
            """
            import socket
            s = socket.create_connection(("127.0.0.1", 9001))
            s.sendall(b"hello\n")
            s.shutdown(socket.SHUT_WR)
            print(s.makefile().readline().strip())
            """);

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["host got: hello"], run.Stdout);
        await service.Answered;
    }

    /// <summary>Runs a Python <paramref name="client"/> in the sandbox, with <paramref name="service"/> bridged to its loopback port 9001.</summary>
    private SandboxSpec ThroughHostServiceBridge(HostLineService service, string client) => _folders.Shell("unused") with
    {
        Bridges = new SandboxBridges { HostServices = [new HostServiceBridge(9001, service.SocketPath)] },
        Command = ["/usr/bin/python3", "-c", client],
    };

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : struct
    {
        for (var attempt = 0; attempt < 1500; attempt++)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20);
        }

        throw new Xunit.Sdk.XunitException($"gave up waiting for {what}");
    }

    [Fact]
    public async Task A_burst_of_connections_to_a_published_port_queues_instead_of_being_refused()
    {
        var socketPath = Path.Combine(Directory.CreateDirectory(Path.Combine(_folders.Root, "published")).FullName, "http.sock");
        File.WriteAllText(Path.Combine(_folders.CodeDirectory, "go"), "");
        var spec = _folders.Shell("unused") with
        {
            Bridges = new SandboxBridges { PublishedPort = new PublishedPort(8080, socketPath) },
            Environment = new Dictionary<string, string> { ["PORT"] = "8080" },
            Command = ["/usr/bin/python3", "-c", HttpServer],
        };
        await using var process = await _sandbox.StartAsync(spec, CancellationToken.None);
        await WaitForSocketAsync(socketPath, process);

        // Connected all at once, as a gateway does when a burst meets a fresh instance (socat alone would queue only 5).
        var connections = await Task.WhenAll(Enumerable.Range(0, 160).Select(_ => ConnectUnixAsync(socketPath, CancellationToken.None).AsTask()));
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, ct) => ConnectUnixAsync(socketPath, ct) });
        var answer = await client.GetStringAsync("http://127.0.0.1:8080/after-burst");

        Assert.Equal(160, connections.Length);
        Assert.Equal("hello from /after-burst", answer);
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static async ValueTask<Stream> ConnectUnixAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task WaitForSocketAsync(string path, ISandboxedProcess process)
    {
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            Assert.False(process.Exited.IsCompleted, "the sandbox exited before publishing its port");
            try
            {
                await using var probe = await ConnectUnixAsync(path, giveUp.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(10, giveUp.Token);
            }
        }
    }

    /// <summary>
    /// A service on a host UNIX socket, as a host-service bridge reaches it: answers the first line of one connection
    /// with "host got: LINE", after <c>answerAfter</c>.
    /// </summary>
    private sealed class HostLineService : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public HostLineService(string socketPath, TimeSpan answerAfter = default)
        {
            SocketPath = socketPath;
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            _listener.Listen();
            Answered = AnswerOnceAsync(answerAfter);
        }

        public string SocketPath { get; }

        /// <summary>Completes once the answer was written.</summary>
        public Task Answered { get; }

        private async Task AnswerOnceAsync(TimeSpan delay)
        {
            using var connection = await _listener.AcceptAsync();
            await using var stream = new NetworkStream(connection);
            using var reader = new StreamReader(stream);
            var line = await reader.ReadLineAsync();
            await Task.Delay(delay);
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"host got: {line}\n"));
        }

        public void Dispose() => _listener.Dispose();
    }
}
