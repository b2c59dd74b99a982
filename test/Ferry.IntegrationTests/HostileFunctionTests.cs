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

        // Read-only mounts; files of host root are also not the sandbox user's to write (EACCES comes first then).
        foreach (var path in new[] { "/var/task/attack.py", "/opt/ferry/x", "/usr/lib/x", "/etc/passwd", "/x" })
        {
            Assert.True(result.GetProperty(path).GetString() is "EROFS" or "EACCES", $"{path}: {result.GetProperty(path)}");
        }

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

    [Fact]
    public async Task Functions_run_as_an_unprivileged_host_user_of_their_own_tenant_with_no_capabilities()
    {
        var identity = await AttackAsync("identity", new { });
        var hostile = await apps.InstanceAsync("hostile", "attack");
        var victim = await apps.InstanceAsync("vault", "keep");

        var hostileUids = HostUids(hostile.SandboxPid!.Value);
        var victimUids = HostUids(victim.SandboxPid!.Value);
        Assert.All(hostileUids, uid => Assert.NotEqual(0, uid));
        Assert.All(victimUids, uid => Assert.NotEqual(0, uid));
        Assert.Equal(hostileUids[0], identity.GetProperty("uid").GetInt32()); // the same id inside and on the host
        Assert.Equal(hostileUids[0], identity.GetProperty("euid").GetInt32());
        Assert.NotEqual(hostileUids[0], victimUids[0]); // another tenant: another user, so no signals, ptrace or file access
        Assert.Equal("0000000000000000", identity.GetProperty("capEff").GetString());
        Assert.Equal("0000000000000000", identity.GetProperty("capBnd").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Sysctls_cannot_be_written_and_the_host_keeps_its_values()
    {
        string[] names = ["kernel.core_pattern", "kernel.pid_max", "vm.swappiness", "fs.file-max", "kernel.randomize_va_space", "net.ipv4.ip_forward"];
        var before = names.ToDictionary(n => n, HostSysctl);

        var result = await AttackAsync("sysctls", new { names });
        var mounts = await AttackAsync("mount-options", new { paths = new[] { "/proc/sys" } });

        foreach (var name in names)
        {
            Assert.True(result.GetProperty(name).GetString() is "EACCES" or "EROFS" or "EPERM", $"{name}: {result.GetProperty(name)}");
            Assert.Equal(before[name], HostSysctl(name));
        }

        Assert.Contains("ro", mounts.GetProperty("/proc/sys").EnumerateArray().Select(e => e.GetString()));
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Every_mount_is_nosuid_and_nodev_and_only_tmp_and_the_data_folder_are_writable()
    {
        string[] paths = ["/", "/usr", "/var/task", "/opt/ferry", "/tmp", "/var/ferry/databases", "/proc", "/proc/sys"];

        var result = await AttackAsync("mount-options", new { paths });

        foreach (var path in paths)
        {
            var options = result.GetProperty(path).EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.True(options.Count > 0, $"{path} is not a mount of the sandbox");
            Assert.Contains("nosuid", options);
            Assert.Contains("nodev", options);
            Assert.Contains(path is "/tmp" or "/var/ferry/databases" or "/proc" ? "rw" : "ro", options);
        }

        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Nothing_written_to_the_data_folder_can_be_executed()
    {
        var mounts = await AttackAsync("mount-options", new { paths = new[] { "/var/ferry/databases" } });
        var result = await AttackAsync("exec-written", new { folders = new[] { "/var/ferry/databases", "/tmp" } });

        Assert.Contains("noexec", mounts.GetProperty("/var/ferry/databases").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("EACCES", result.GetProperty("/var/ferry/databases").GetString());
        // /tmp stays executable, as on Lambda (tools unpacked at run time); it is private and gone with the instance.
        Assert.Equal("ran", result.GetProperty("/tmp").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Setuid_binaries_run_without_privileges()
    {
        var result = await AttackAsync("setuid", new { });

        Assert.NotEmpty(result.GetProperty("setuidFiles").EnumerateArray()); // there are setuid-root programs to try
        Assert.NotEqual(0, result.GetProperty("mountExit").GetInt32());
        Assert.NotEqual(0, result.GetProperty("childEuid").GetInt32());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Devices_other_than_the_harmless_ones_do_not_exist_and_cannot_be_made()
    {
        string[] paths = ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vda", "/dev/sda", "/dev/loop0", "/dev/null"];

        var result = await AttackAsync("devices", new { paths });

        foreach (var path in paths.Where(p => p != "/dev/null"))
        {
            Assert.Equal("ENOENT", result.GetProperty(path).GetString());
        }

        Assert.Equal("opened", result.GetProperty("/dev/null").GetString());
        Assert.Equal("EPERM", result.GetProperty("mknod").GetString());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Namespace_mount_module_and_tracing_syscalls_are_refused()
    {
        var result = await AttackAsync("kernel-syscalls", new { });

        foreach (var outcome in result.EnumerateObject())
        {
            Assert.True(outcome.Value.GetString() != "ok", $"{outcome.Name} succeeded inside the sandbox");
        }

        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Another_tenants_processes_cannot_be_signalled()
    {
        var victim = await apps.InstanceAsync("vault", "keep");
        var victimPid = victim.SandboxPid!.Value;

        var result = await AttackAsync("signal", new { pid = victimPid });

        Assert.NotEqual("sent", result.GetProperty("result").GetString());
        Assert.True(victim.IsAlive, "the other tenant's instance was killed");
        var keep = await Server.Http.GetFromJsonAsync<JsonElement>("/vault/dev/keep");
        Assert.True(keep.GetProperty("uid").GetInt32() > 0);
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Another_tenants_data_stays_out_of_reach_even_with_its_host_path()
    {
        var keep = await Server.Http.GetFromJsonAsync<JsonElement>("/vault/dev/keep");
        var victimUid = keep.GetProperty("uid").GetInt32();
        var victimFolder = Path.Combine(Server.DataDirectory, "databases", "victim", "vault", "dev@local");
        var secret = Path.Combine(victimFolder, "secret.txt");

        var result = await AttackAsync("read-files", new { paths = new[] { victimFolder, secret } });

        Assert.False(result.GetProperty("visible").GetProperty(victimFolder).GetBoolean());
        Assert.False(result.GetProperty("visible").GetProperty(secret).GetBoolean());
        // Were it mounted by mistake, the files belong to the victim's user, which the attacker is not.
        Assert.Equal(victimUid, Ferry.Runtime.Sandbox.HostFileOwnership.GetOwner(victimFolder).Uid);
        Assert.Equal(victimUid, Ferry.Runtime.Sandbox.HostFileOwnership.GetOwner(secret).Uid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(victimFolder));
        var identity = await AttackAsync("identity", new { });
        Assert.NotEqual(victimUid, identity.GetProperty("uid").GetInt32());
        // Other local users cannot even enter Ferry's data folder; sandboxes pass through it (group) to their mounts.
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Server.DataDirectory) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task No_host_path_of_ferry_shows_in_command_lines_or_environments()
    {
        var result = await AttackAsync("host-paths", new { path = Server.DataDirectory });

        Assert.Empty(result.GetProperty("seenIn").EnumerateArray());
        Assert.False(result.GetProperty("environ").GetBoolean());
        await AssertEverythingStillServesAsync();
    }

    [Fact]
    public async Task Hard_links_cannot_carry_files_into_or_out_of_var_task()
    {
        string[][] links =
        [
            ["/var/task/attack.py", "/tmp/attack-link.py"],
            ["/var/task/attack.py", "/var/ferry/databases/attack-link.py"],
            ["/etc/passwd", "/var/ferry/databases/passwd"],
            ["/var/ferry/databases/main.sqlite", "/var/task/main.sqlite"],
        ];

        var result = await AttackAsync("hard-links", new { links });

        foreach (var link in links)
        {
            Assert.True(result.GetProperty(link[1]).GetString() is "EXDEV" or "EROFS" or "EPERM", $"{link[0]} -> {link[1]}: {result.GetProperty(link[1])}");
        }

        await AssertEverythingStillServesAsync();
    }

    /// <summary>Real, effective, saved and file-system uid of a host process.</summary>
    private static int[] HostUids(int pid) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))[4..]
            .Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    private static string HostSysctl(string name) => File.ReadAllText("/proc/sys/" + name.Replace('.', '/'));

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
            resources:
              databases:
                main:
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

            def identity(args):
                status = dict(line.rstrip("\n").split(":\t", 1) for line in open("/proc/self/status") if ":\t" in line)
                return {
                    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "pid": os.getpid(),
                    "capEff": status["CapEff"].strip(), "capBnd": status["CapBnd"].strip(),
                    "hostRootMapped": any(line.split()[1] == "0" and line.split()[0] == "0" for line in open("/proc/self/uid_map")),
                }

            def sysctls(args):
                results = {}
                for name in args["names"]:
                    path = "/proc/sys/" + name.replace(".", "/")
                    try:
                        fd = os.open(path, os.O_WRONLY)
                        os.close(fd)
                        results[name] = "writable"
                    except OSError as err:
                        results[name] = error_name(err)
                return results

            def mount_options(args):
                options = {}
                for line in open("/proc/self/mountinfo"):
                    fields = line.split()
                    options[fields[4]] = fields[5].split(",")
                return {path: options.get(path, []) for path in args["paths"]}

            def setuid(args):
                import stat, subprocess
                setuid_files = [p for p in ("/usr/bin/mount", "/usr/bin/su", "/usr/bin/passwd", "/usr/bin/newgrp")
                                if os.path.exists(p) and os.stat(p).st_mode & stat.S_ISUID]
                # mount is setuid root on Debian: if the bit worked, it would run as root and try the mount.
                run = subprocess.run(["/usr/bin/mount", "-t", "tmpfs", "none", "/tmp"], capture_output=True, text=True)
                probe = subprocess.run(["/usr/bin/python3", "-c", "import os; print(os.geteuid())"], capture_output=True, text=True)
                return {"setuidFiles": setuid_files, "mountExit": run.returncode, "mountError": run.stderr.strip(),
                        "childEuid": int(probe.stdout.strip())}

            def devices(args):
                results = {}
                for path in args["paths"]:
                    try:
                        fd = os.open(path, os.O_RDWR)
                        os.close(fd)
                        results[path] = "opened"
                    except OSError as err:
                        results[path] = error_name(err)
                try:
                    os.mknod("/tmp/mem", 0o600 | 0o020000, os.makedev(1, 1))
                    results["mknod"] = "ok"
                except OSError as err:
                    results["mknod"] = error_name(err)
                return results

            # Syscalls that change namespaces, mounts, the kernel, or reach other processes, by architecture.
            SYSCALLS = {
                "x86_64": {"setns": 308, "pivot_root": 155, "bpf": 321, "perf_event_open": 298, "keyctl": 250,
                           "init_module": 175, "kexec_load": 246, "open_tree": 428, "fsopen": 430, "move_mount": 429,
                           "userfaultfd": 323, "process_vm_readv": 310},
                "aarch64": {"setns": 268, "pivot_root": 41, "bpf": 280, "perf_event_open": 241, "keyctl": 219,
                            "init_module": 105, "kexec_load": 104, "open_tree": 428, "fsopen": 430, "move_mount": 429,
                            "userfaultfd": 282, "process_vm_readv": 270},
            }[os.uname().machine]

            def kernel_syscalls(args):
                libc.syscall.restype = ctypes.c_long
                results = {}
                for name, number in SYSCALLS.items():
                    result = libc.syscall(number, 0, 0, 0, 0, 0, 0)
                    results[name] = "ok" if result != -1 else errno.errorcode[ctypes.get_errno()]
                for name, flag in (("unshare-user", 0x10000000), ("unshare-mount", 0x00020000), ("unshare-net", 0x40000000)):
                    results[name] = "ok" if libc.unshare(flag) == 0 else errno.errorcode[ctypes.get_errno()]
                results["ptrace-attach-1"] = "ok" if libc.ptrace(16, 1, None, None) == 0 else errno.errorcode[ctypes.get_errno()]
                return results

            def signal_pid(args):
                try:
                    os.kill(args["pid"], signal.SIGKILL)
                    return {"result": "sent"}
                except OSError as err:
                    return {"result": error_name(err)}

            def host_paths(args):
                seen = []
                for pid in os.listdir("/proc"):
                    if not pid.isdigit():
                        continue
                    for part in ("cmdline", "environ"):
                        try:
                            with open(f"/proc/{pid}/{part}", "rb") as f:
                                if args["path"].encode() in f.read():
                                    seen.append(f"/proc/{pid}/{part}")
                        except OSError:
                            pass
                return {"seenIn": seen, "environ": args["path"] in json.dumps(dict(os.environ))}

            def hard_links(args):
                results = {}
                for source, target in args["links"]:
                    try:
                        os.link(source, target)
                        results[target] = "linked"
                    except OSError as err:
                        results[target] = error_name(err)
                return results

            def exec_written(args):
                import subprocess
                results = {}
                for folder in args["folders"]:
                    path = folder + "/dropped.sh"
                    with open(path, "w") as f:
                        f.write("#!/bin/sh\necho ran\n")
                    os.chmod(path, 0o755)
                    try:
                        results[folder] = subprocess.run([path], capture_output=True, text=True).stdout.strip()
                    except OSError as err:
                        results[folder] = error_name(err)
                    finally:
                        os.remove(path)
                return results

            ATTACKS = {
                "read-files": read_files, "processes": processes, "fork-bomb": fork_bomb, "memory-hog": memory_hog,
                "connect": connect, "write": write, "kill-parent": kill_parent, "kill-everything": kill_everything,
                "syscalls": syscalls, "big-file": big_file, "identity": identity, "sysctls": sysctls,
                "mount-options": mount_options, "setuid": setuid, "devices": devices, "kernel-syscalls": kernel_syscalls,
                "signal": signal_pid, "host-paths": host_paths, "hard-links": hard_links, "exec-written": exec_written,
            }

            def handler(event, context):
                return ATTACKS[event["pathParameters"]["name"]](json.loads(event.get("body") or "{}"))
            """;

        /// <summary>Another tenant's app: a function that keeps a secret in its database folder.</summary>
        private const string VictimManifest =
            """
            service: vault
            provider:
              name: aws
              runtime: python3.11
            resources:
              databases:
                main:
            functions:
              keep:
                handler: keep.handler
                events:
                  - httpApi: 'GET /keep'
            """;

        private const string VictimCode =
            """
            import os

            def handler(event, context):
                with open("/var/ferry/databases/secret.txt", "w") as f:
                    f.write("the victim's secret")
                os.chmod("/var/ferry/databases/secret.txt", 0o600)
                return {"uid": os.getuid(), "pid": os.getpid()}
            """;

        public FerryTestServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await FerryTestServer.StartAsync();
            var victimToken = await CreateConsumerAsync("victim");
            var victim = await FerryCli.RunAsAsync(victimToken, Server.BaseUrl, TestApp.Create(VictimManifest, ("keep.py", VictimCode)), "deploy");
            Assert.True(victim.ExitCode == 0, victim.ToString());
            var neighbour = await FerryCli.RunAsync(Server.BaseUrl, Repo.Sample("web-node"), "deploy");
            Assert.True(neighbour.ExitCode == 0, neighbour.ToString());
            var hostile = await FerryCli.RunAsync(Server.BaseUrl, TestApp.Create(HostileManifest, ("attack.py", HostileCode)), "deploy");
            Assert.True(hostile.ExitCode == 0, hostile.ToString());
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();

        private async Task<string> CreateConsumerAsync(string tenant)
        {
            var created = await FerryCli.RunAsync(Server.BaseUrl, Repo.Root, "tenant", "create", tenant);
            Assert.True(created.ExitCode == 0, created.ToString());
            var token = await FerryCli.RunAsync(Server.BaseUrl, Repo.Root, "token", "create", "--tenant", tenant, "--name", "victim", "--role", "consumer", "--output", "json");
            Assert.True(token.ExitCode == 0, token.ToString());
            return JsonDocument.Parse(token.Stdout).RootElement.GetProperty("token").GetString()!;
        }

        /// <summary>A running instance of <paramref name="function"/> of <paramref name="service"/> (started when there is none).</summary>
        public async Task<FunctionInstance> InstanceAsync(string service, string function)
        {
            InstancePool pool = Server.Services.GetRequiredService<LiveApps>().Get(service, "dev", "local")!.Deployed.Pools[function];
            var acquired = await pool.AcquireAsync(CancellationToken.None);
            Assert.True(acquired.Succeeded, $"no instance of {function}: {acquired.Error}");
            using var lease = acquired.Value;
            return lease.Instance;
        }

        /// <summary>A running instance of the neighbour web app (started by a request when there is none).</summary>
        public async Task<WebFunctionInstance> NeighbourInstanceAsync()
        {
            (await Server.Http.GetAsync("/webnode/dev/")).EnsureSuccessStatusCode();
            InstancePool pool = Server.Services.GetRequiredService<LiveApps>().Get("webnode", "dev", "local")!.Deployed.Pools["site"];
            var acquired = await pool.AcquireAsync(CancellationToken.None);
            Assert.True(acquired.Succeeded, $"no instance of the neighbour: {acquired.Error}");
            using var lease = acquired.Value;
            return (WebFunctionInstance)lease.Instance;
        }
    }
}
