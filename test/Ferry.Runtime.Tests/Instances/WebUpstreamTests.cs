using System.Globalization;
using System.Text.Json;
using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Runtime.Tests.StemCells;

namespace Ferry.Runtime.Tests.Instances;

/// <summary>
/// How the gateway's connections reach a web function in a private network (real bubblewrap): as root, by sockets the
/// server creates in the sandbox's network namespace, straight to the app's port (no socat between), in its own
/// sandbox and in a web stem cell alike; through the published socket and the sandbox's socat when namespaces are
/// unavailable. Which one a connection took is read from the kernel: the app's peer socket is either one of this
/// process's file descriptors or socat's.
/// </summary>
public sealed class WebUpstreamTests : IAsyncLifetime
{
    /// <summary>Answers with the client address the app sees.</summary>
    private const string App =
        """
        import http.server, json, os
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = json.dumps({"host": self.client_address[0], "port": self.client_address[1]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """;

    private StemCellTestHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    // xunit 2 disposes test classes through IAsyncLifetime (an IAsyncDisposable alone was never called: each run left
    // its hosts' folders, and the stem cells' code mounts, behind).
    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task As_root_the_gateway_connects_in_the_sandboxs_namespace_straight_to_the_app()
    {
        _host = await StemCellTestHost.StartAsync(cellsPerRuntime: 0);
        await using var instance = new WebFunctionInstance(WebFunction(), _host.Services);
        await instance.StartAsync(CancellationToken.None);

        Assert.True(instance.ConnectsInSandboxNamespace);
        var client = await ClientSeenByAppAsync(instance);
        Assert.Equal("127.0.0.1", client.Host);
        Assert.True(IsSocketOfThisProcess(instance, client.Port), "the app's client must be the gateway's own socket, not socat");
    }

    [Fact]
    public async Task A_web_stem_cell_is_reached_in_its_namespace_too()
    {
        _host = await StemCellTestHost.StartAsync(deepCellFolder: true);
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Web) > 0, "a web stem cell is ready");
        await using var pool = _host.Pool(WebFunction());
        var acquired = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(acquired.Succeeded, $"no instance: {acquired.Error}");
        using var lease = acquired.Value;
        var instance = (WebFunctionInstance)lease.Instance;

        Assert.True(instance.FromStemCell);
        Assert.True(instance.ConnectsInSandboxNamespace);
        var client = await ClientSeenByAppAsync(instance);
        Assert.Equal("127.0.0.1", client.Host);
        Assert.True(IsSocketOfThisProcess(instance, client.Port), "the app's client must be the gateway's own socket, not socat");
    }

    [Fact]
    public async Task Without_namespace_sockets_the_gateway_connects_through_the_sandboxs_socat()
    {
        _host = await StemCellTestHost.StartAsync(cellsPerRuntime: 0);
        var services = _host.Services with { NamespaceSockets = NamespaceSocketFactory.Unavailable("a test turns them off") };
        await using var instance = new WebFunctionInstance(WebFunction(), services);
        await instance.StartAsync(CancellationToken.None);

        Assert.False(instance.ConnectsInSandboxNamespace);
        var client = await ClientSeenByAppAsync(instance);
        Assert.Equal("127.0.0.1", client.Host);
        Assert.False(IsSocketOfThisProcess(instance, client.Port), "the app's client must be socat's socket");
    }

    private FunctionRevision WebFunction()
    {
        var function = _host!.Function(RuntimeCatalog.Web, "", [("app.py", App)]);
        return function with { Function = function.Function with { Command = ["python3", "app.py"] } };
    }

    private static async Task<(string Host, int Port)> ClientSeenByAppAsync(WebFunctionInstance instance)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(instance.Address, "/"));
        using var response = await instance.Client.SendAsync(request, CancellationToken.None);
        Assert.True(response.IsSuccessStatusCode, response.ToString());
        var seen = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (seen.GetProperty("host").GetString()!, seen.GetProperty("port").GetInt32());
    }

    /// <summary>
    /// Whether the TCP socket bound to 127.0.0.1:<paramref name="clientPort"/> in the instance's sandbox (the app's
    /// peer, still open in the client's pool) is one of this process's file descriptors.
    /// </summary>
    private static bool IsSocketOfThisProcess(WebFunctionInstance instance, int clientPort)
    {
        var member = SandboxListeners.NamespaceMember(instance.SandboxPid!.Value);
        Assert.NotNull(member);
        var local = "0100007F:" + clientPort.ToString("X4", CultureInfo.InvariantCulture);
        var rows = File.ReadLines($"/proc/{member}/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length > 9 && columns[1] == local)
            .ToList();
        var socket = $"socket:[{Assert.Single(rows)[9]}]";
        return Directory.EnumerateFiles("/proc/self/fd").Any(fd => LinkTarget(fd) == socket);
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed meanwhile
        }
    }
}
