using System.Net.Sockets;
using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>
/// Web stem cells on the real sandbox: a sandbox whose bridges already listen and whose shell waits on its launch FIFO
/// becomes a web function's instance by exec'ing the function's command with exactly the function's environment.
/// </summary>
public sealed class WebStemCellTests : IAsyncLifetime
{
    /// <summary>An HTTP server on $PORT answering with what the app sees of its process.</summary>
    private const string App =
        """
        import http.server, json, os
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = json.dumps({
                    "path": self.path,
                    "greeting": os.environ.get("GREETING"),
                    "quoted": os.environ.get("QUOTED"),
                    "stemCell": os.environ.get("FERRY_STEM_CELL"),
                    "cwd": os.getcwd(),
                    "files": sorted(os.listdir(".")),
                    "argv": __import__("sys").argv[1:],
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        print("listening", flush=True)
        http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """;

    private StemCellTestHost _host = null!;

    public async Task InitializeAsync() => _host = await StemCellTestHost.StartAsync(deepCellFolder: true);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private FunctionRevision WebFunction(IReadOnlyDictionary<string, string>? environment = null, bool outboundNetwork = false)
    {
        var function = _host.Function(RuntimeCatalog.Web, "", [("app.py", App), ("static/a.txt", "a")], environment, outboundNetwork);
        return function with { Function = function.Function with { Command = ["python3", "app.py", "it's", "$HOME"] } };
    }

    private static async Task<string> GetAsync(WebFunctionInstance instance, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(instance.Address, path));
        using var response = await instance.Client.SendAsync(request, CancellationToken.None);
        Assert.True(response.IsSuccessStatusCode, response.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_web_cell_becomes_the_app_with_exactly_its_command_and_environment()
    {
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Web) > 0, "a web stem cell is ready");
        var cell = _host.Cells.ReadyCells(StemCellFamily.Web).First(c => c.IsWaiting);
        var function = WebFunction(new Dictionary<string, string> { ["GREETING"] = "hello", ["QUOTED"] = "a 'b' \"c\" $d `e` \\f" });
        await using var pool = _host.Pool(function);

        var acquired = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(acquired.Succeeded, $"no instance: {acquired.Error}");
        using var lease = acquired.Value;
        var instance = (WebFunctionInstance)lease.Instance;

        Assert.True(instance.FromStemCell);
        Assert.Equal(cell.Id, instance.Id);
        var seen = System.Text.Json.JsonDocument.Parse(await GetAsync(instance, "/x?y=1")).RootElement;
        Assert.Equal("/x?y=1", seen.GetProperty("path").GetString());
        Assert.Equal("hello", seen.GetProperty("greeting").GetString());
        Assert.Equal("a 'b' \"c\" $d `e` \\f", seen.GetProperty("quoted").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, seen.GetProperty("stemCell").ValueKind); // none of the cell's own variables
        Assert.Equal(SandboxPaths.Code, seen.GetProperty("cwd").GetString());
        Assert.Equal(["app.py", "static"], seen.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["it's", "$HOME"], seen.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));

        // Its output is the function's log, and the pool starts another cell.
        var logs = await LogsUntilAsync(function, "listening");
        Assert.Contains("StemCell: true", logs[0].Message);
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCells(StemCellFamily.Web).Any(c => c.IsWaiting && c.Id != cell.Id), "the web cell is replaced");
    }

    [Fact]
    public async Task An_instance_stopped_before_it_started_stops_the_web_cell_it_was_given()
    {
        var function = WebFunction();
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Web) > 0, "a web stem cell is ready");
        var cell = _host.Cells.TryTake(function);
        Assert.NotNull(cell);
        var process = cell.Process;

        await new WebFunctionInstance(function, _host.Services, cell).DisposeAsync();

        await process.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(Directory.Exists(cell.CodeDirectory));
    }

    [Fact]
    public async Task A_web_function_with_outbound_network_starts_its_own_sandbox_and_leaves_the_cell()
    {
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Web) > 0, "a web stem cell is ready");
        var cell = _host.Cells.ReadyCells(StemCellFamily.Web).First(c => c.IsWaiting);
        var function = WebFunction(outboundNetwork: true);
        Assert.NotNull(StemCellFit.Mismatch(function, FunctionInstance.RuntimeEnvironment()));
        await using var pool = _host.Pool(function);

        var acquired = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(acquired.Succeeded, $"no instance: {acquired.Error}");
        using var lease = acquired.Value;
        var instance = (WebFunctionInstance)lease.Instance;

        Assert.False(instance.FromStemCell);
        Assert.Contains("\"greeting\": null", await GetAsync(instance, "/"), StringComparison.Ordinal);
        Assert.Contains(_host.Cells.ReadyCells(StemCellFamily.Web), c => c.Id == cell.Id && c.IsWaiting);
    }

    [Fact]
    public async Task A_web_cell_whose_command_cannot_start_fails_the_start_with_the_exit_code()
    {
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Web) > 0, "a web stem cell is ready");
        var function = WebFunction();
        function = function with { Function = function.Function with { Command = ["no-such-program-here"] } };
        await using var pool = _host.Pool(function);

        var acquired = await pool.AcquireAsync(CancellationToken.None);

        Assert.False(acquired.Succeeded);
        Assert.Contains("exited with code 127", acquired.Error.ToString(), StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<Ferry.Store.LogEntry>> LogsUntilAsync(FunctionRevision function, string message)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var logs = await _host.Store.QueryLogsAsync(new Ferry.Store.LogQuery(_host.AppStageId, function.Name), CancellationToken.None);
            if (logs.Any(l => l.Message == message))
            {
                return logs;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no '{message}' in the logs of {function.Name}: {string.Join(" / ", logs.Select(l => l.Message))}");
            await Task.Delay(50);
        }
    }
}
