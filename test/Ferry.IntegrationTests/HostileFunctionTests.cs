using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.RuntimeApi;
using Ferry.Server.Deployments;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// One server with a neighbour web app and a hostile Python function deployed side by side. Every test runs one
/// attack from inside the hostile function, asserts that it failed or was contained, and that the server, the
/// neighbour and the hostile function itself keep serving afterwards.
/// </summary>
public sealed class HostileFunctionTests(HostileFunctionTests.Apps apps) : IClassFixture<HostileFunctionTests.Apps>
{
    private FerryTestServer Server => apps.Server;

    [Fact]
    public async Task Another_apps_code_and_ferrys_data_are_not_visible()
    {
        var neighbourCode = (await apps.NeighbourInstanceAsync()).Function.CodeDirectory;

        var result = await AttackAsync("read-files", new { paths = new[] { neighbourCode, Server.DataDirectory, "/etc/shadow" } });

        var visible = result.GetProperty("visible");
        Assert.False(visible.GetProperty(neighbourCode).GetBoolean(), "the neighbour's code folder must be invisible");
        Assert.False(visible.GetProperty(Server.DataDirectory).GetBoolean(), "Ferry's data folder must be invisible");
        Assert.False(visible.GetProperty("/etc/shadow").GetBoolean());
        Assert.Equal(["attack.py", "serverless.yml"], result.GetProperty("code").EnumerateArray().Select(e => e.GetString()));
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Only_the_functions_own_processes_are_visible()
    {
        await apps.NeighbourInstanceAsync();

        var result = await AttackAsync("processes", new { });

        var processes = result.GetProperty("processes").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.InRange(processes.Count, 1, 8);
        Assert.Contains(processes, p => p.Contains("bootstrap.py", StringComparison.Ordinal));
        Assert.DoesNotContain(processes, p => p.Contains("dotnet", StringComparison.Ordinal) || p.Contains("server.js", StringComparison.Ordinal));
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task A_fork_bomb_stops_at_the_process_limit()
    {
        var result = await AttackAsync("fork-bomb", new { });

        Assert.Equal("EAGAIN", result.GetProperty("error").GetString());
        Assert.InRange(result.GetProperty("forked").GetInt32(), 1, Ferry.Runtime.Sandbox.CgroupLimits.DefaultMaxProcesses);
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task A_memory_hog_is_killed_and_the_next_request_gets_a_fresh_instance()
    {
        var response = await Server.Http.PostAsJsonAsync("/hostile/dev/attack/memory-hog", new { });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("function_crashed", body.GetProperty("code").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Neighbours_ferry_and_the_internet_cannot_be_reached()
    {
        var neighbour = await apps.NeighbourInstanceAsync();
        var serverPort = new Uri(Server.BaseUrl).Port;
        var runtimeApi = Server.Services.GetRequiredService<RuntimeApiHost>();
        var targets = new
        {
            tcp = new[]
            {
                $"127.0.0.1:{serverPort}", // Ferry's gateway and REST API
                runtimeApi.Authority, // the Runtime API's TCP listener
                $"127.0.0.1:{WebFunctionInstance.PortInSandbox}", // where the neighbour listens, in its own network
                "1.1.1.1:53", // the internet
            },
            unix = new[] { neighbour.SocketPath!, runtimeApi.SocketPath },
        };

        var result = await AttackAsync("connect", targets);

        Assert.Equal("ECONNREFUSED", result.GetProperty($"127.0.0.1:{serverPort}").GetString());
        Assert.Equal("ECONNREFUSED", result.GetProperty(runtimeApi.Authority).GetString());
        Assert.Equal("ECONNREFUSED", result.GetProperty($"127.0.0.1:{WebFunctionInstance.PortInSandbox}").GetString());
        Assert.Equal("ENETUNREACH", result.GetProperty("1.1.1.1:53").GetString());
        Assert.Equal("ENOENT", result.GetProperty(neighbour.SocketPath!).GetString());
        Assert.Equal("ENOENT", result.GetProperty(runtimeApi.SocketPath).GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Writes_outside_tmp_fail_with_a_read_only_file_system()
    {
        var result = await AttackAsync("write", new { paths = new[] { "/var/task/attack.py", "/opt/ferry/x", "/usr/lib/x", "/etc/passwd", "/x", "/tmp/x" } });

        Assert.Equal("EROFS", result.GetProperty("/var/task/attack.py").GetString());
        Assert.Equal("EROFS", result.GetProperty("/opt/ferry/x").GetString());
        Assert.Equal("EROFS", result.GetProperty("/usr/lib/x").GetString());
        Assert.Equal("EROFS", result.GetProperty("/etc/passwd").GetString());
        Assert.Equal("EROFS", result.GetProperty("/x").GetString());
        Assert.Equal("written", result.GetProperty("/tmp/x").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Killing_pid_1_and_the_parent_does_nothing_and_killing_everything_only_ends_the_instance()
    {
        var result = await AttackAsync("kill-parent", new { });

        Assert.Equal(1, result.GetProperty("ppid").GetInt32()); // the sandbox's own init, not Ferry
        await AssertEverythingStillServesAsync();

        // kill(-1): everything the function may signal, i.e. its own sandbox. Whatever it answers, it must not matter.
        using var everything = await Server.Http.PostAsJsonAsync("/hostile/dev/attack/kill-everything", new { });
        Assert.True(everything.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadGateway, $"unexpected {everything.StatusCode}");
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Dangerous_syscalls_fail_with_eperm_under_seccomp_and_no_new_privileges()
    {
        var result = await AttackAsync("syscalls", new { });

        Assert.Equal("EPERM", result.GetProperty("mount").GetString());
        Assert.Equal("EPERM", result.GetProperty("unshare").GetString());
        Assert.Equal("EPERM", result.GetProperty("ptrace").GetString());
        Assert.Equal("1", result.GetProperty("noNewPrivs").GetString());
        Assert.Equal("2", result.GetProperty("seccomp").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task A_file_larger_than_the_file_size_limit_cannot_be_written()
    {
        var result = await AttackAsync("big-file", new { belowMb = 511, aboveMb = 513 });

        Assert.Equal("written", result.GetProperty("511").GetString());
        Assert.Equal("EFBIG", result.GetProperty("513").GetString());
        await AssertEverythingStillServesAsync();
    }

    private async Task<JsonElement> AttackAsync(string attack, object arguments)
    {
        using var response = await Server.Http.PostAsJsonAsync($"/hostile/dev/attack/{attack}", arguments);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{attack}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The server, the neighbour app and the hostile function itself all answer normally.</summary>
    private async Task AssertEverythingStillServesAsync()
    {
        Assert.Equal("ok", await Server.Http.GetStringAsync("/healthz"));
        var neighbour = await Server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/after-attack");
        Assert.Equal("/after-attack", neighbour.GetProperty("url").GetString());
        var hostile = await AttackAsync("processes", new { });
        Assert.True(hostile.GetProperty("processes").GetArrayLength() > 0);
    }

    /// <summary>The server with both apps deployed, shared by the tests of the class.</summary>
    public sealed class Apps : IAsyncLifetime
    {
        private const string HostileManifest =
            """
            service: hostile
            provider:
              name: aws
              runtime: python3.11
              memorySize: 512
              timeout: 30
            functions:
              attack:
                handler: attack.handler
                events:
                  - httpApi: 'POST /attack/{name}'
            """;

        private const string HostileCode =
            """
            import ctypes, errno, json, os, signal, socket, time

            libc = ctypes.CDLL(None, use_errno=True)

            def error_name(err):
                if err.errno is None:
                    return type(err).__name__
                return errno.errorcode.get(err.errno, str(err.errno))

            def read_files(args):
                return {"visible": {p: os.path.exists(p) for p in args["paths"]}, "code": sorted(os.listdir("/var/task"))}

            def processes(args):
                found = []
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        try:
                            with open(f"/proc/{pid}/cmdline", "rb") as f:
                                found.append(f.read().replace(b"\0", b" ").decode(errors="replace").strip())
                        except OSError:
                            pass
                return {"processes": found}

            def fork_bomb(args):
                children, error = [], None
                try:
                    while len(children) < 5000:
                        pid = os.fork()
                        if pid == 0:
                            try:
                                os.execv("/bin/sleep", ["sleep", "600"])
                            finally:
                                os._exit(127)
                        children.append(pid)
                except OSError as err:
                    error = error_name(err)
                for pid in children:
                    os.kill(pid, signal.SIGKILL)
                for pid in children:
                    os.waitpid(pid, 0)
                return {"forked": len(children), "error": error}

            def memory_hog(args):
                hog = []
                for _ in range(64):
                    hog.append(b"x" * (64 * 1024 * 1024))
                return {"survived_mb": 64 * len(hog)}

            def connect(args):
                results = {}
                for target in args["tcp"]:
                    host, port = target.rsplit(":", 1)
                    with socket.socket() as s:
                        s.settimeout(5)
                        try:
                            s.connect((host, int(port)))
                            results[target] = "connected"
                        except OSError as err:
                            results[target] = error_name(err)
                for path in args["unix"]:
                    with socket.socket(socket.AF_UNIX) as s:
                        try:
                            s.connect(path)
                            results[path] = "connected"
                        except OSError as err:
                            results[path] = error_name(err)
                return results

            def write(args):
                results = {}
                for path in args["paths"]:
                    try:
                        with open(path, "a") as f:
                            f.write("x")
                        results[path] = "written"
                    except OSError as err:
                        results[path] = error_name(err)
                return results

            def kill_parent(args):
                for pid in (1, os.getppid()):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.2)
                return {"ppid": os.getppid()}

            def kill_everything(args):
                os.kill(-1, signal.SIGKILL)
                time.sleep(0.2)
                return {"alive": True}

            def syscalls(args):
                def outcome(result):
                    return "ok" if result != -1 else errno.errorcode[ctypes.get_errno()]
                status = dict(line.rstrip("\n").split(":\t", 1) for line in open("/proc/self/status") if ":\t" in line)
                return {
                    "mount": outcome(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                    "unshare": outcome(libc.unshare(0x10000000)),
                    "ptrace": outcome(libc.ptrace(0, 0, None, None)),
                    "noNewPrivs": status["NoNewPrivs"].strip(),
                    "seccomp": status["Seccomp"].strip(),
                }

            def big_file(args):
                results = {}
                for size_mb in (args["belowMb"], args["aboveMb"]):
                    path = f"/tmp/sparse-{size_mb}"
                    try:
                        with open(path, "wb") as f:
                            f.seek(size_mb * 1024 * 1024 - 1)
                            f.write(b"x")
                        results[str(size_mb)] = "written"
                    except OSError as err:
                        results[str(size_mb)] = error_name(err)
                    finally:
                        if os.path.exists(path):
                            os.remove(path)
                return results

            ATTACKS = {
                "read-files": read_files, "processes": processes, "fork-bomb": fork_bomb, "memory-hog": memory_hog,
                "connect": connect, "write": write, "kill-parent": kill_parent, "kill-everything": kill_everything,
                "syscalls": syscalls, "big-file": big_file,
            }

            def handler(event, context):
                return ATTACKS[event["pathParameters"]["name"]](json.loads(event.get("body") or "{}"))
            """;

        public FerryTestServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await FerryTestServer.StartAsync();
            var neighbour = await FerryCli.RunAsync(Server.BaseUrl, Repo.Sample("web-node"), "deploy");
            Assert.True(neighbour.ExitCode == 0, neighbour.ToString());
            var hostile = await FerryCli.RunAsync(Server.BaseUrl, TestApp.Create(HostileManifest, ("attack.py", HostileCode)), "deploy");
            Assert.True(hostile.ExitCode == 0, hostile.ToString());
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();

        /// <summary>A running instance of the neighbour web app (started by a request when there is none).</summary>
        public async Task<WebFunctionInstance> NeighbourInstanceAsync()
        {
            (await Server.Http.GetAsync("/webnode/dev/")).EnsureSuccessStatusCode();
            InstancePool pool = Server.Services.GetRequiredService<LiveApps>().Get("webnode", "dev", "local")!.Deployed.Pools["site"];
            using var lease = await pool.AcquireAsync(CancellationToken.None);
            return (WebFunctionInstance)lease.Instance;
        }
    }
}
