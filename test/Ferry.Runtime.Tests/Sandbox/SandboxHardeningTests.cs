using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>What a hostile process inside a bubblewrap sandbox tries, and how each attempt ends.</summary>
public sealed class SandboxHardeningTests : IDisposable
{
    /// <summary>Calls libc wrappers through ctypes and prints "name=errno-name" per call (or "name=ok").</summary>
    private const string SyscallProbe =
        """
        import ctypes, errno, os, threading, subprocess
        libc = ctypes.CDLL(None, use_errno=True)
        def report(name, result):
            print(f"{name}=" + ("ok" if result != -1 else errno.errorcode[ctypes.get_errno()]))
        report("ptrace", libc.ptrace(0, 0, None, None))                       # PTRACE_TRACEME
        report("unshare", libc.unshare(0x10000000))                           # CLONE_NEWUSER
        report("personality", libc.personality(0x0040000))                    # ADDR_NO_RANDOMIZE
        report("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        print("thread=ok")
        print("subprocess=" + subprocess.run(["/bin/echo", "ok"], capture_output=True, text=True).stdout.strip())
        """;

    private readonly SandboxTestFolders _folders = new();
    private readonly BubblewrapSandbox _sandbox = SandboxTestFolders.CreateBubblewrap();

    public void Dispose()
    {
        _sandbox.Dispose();
        _folders.Dispose();
    }

    [Fact]
    public void Description_names_the_seccomp_filter_and_the_private_network()
    {
        Assert.Contains("seccomp (", _sandbox.Description);
        Assert.Contains("private network", _sandbox.Description);
        Assert.True(((ISandbox)_sandbox).SupportsPrivateNetwork);
    }

    [Fact]
    public async Task The_process_cannot_gain_privileges_and_runs_under_a_seccomp_filter()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["CapEff:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"], run.Stdout.Select(l => l.Trim()).Order());
    }

    [Fact]
    public async Task Denied_syscalls_fail_with_eperm_while_threads_and_processes_still_work()
    {
        var spec = _folders.Shell("unused") with { Command = ["/usr/bin/python3", "-c", SyscallProbe] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["ptrace=EPERM", "unshare=EPERM", "personality=EPERM", "mount=EPERM", "thread=ok", "subprocess=ok"], run.Stdout);
    }

    [Fact]
    public async Task The_seccomp_descriptor_does_not_leak_into_the_sandbox()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("ls /proc/self/fd"));

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(SandboxProcessStarter.InputFileDescriptor.ToString(), run.Stdout);
    }

    [Fact]
    public async Task Files_cannot_grow_past_the_file_size_limit()
    {
        var spec = _folders.Shell("unused") with
        {
            MaxFileSizeMb = 4,
            Command =
            [
                "/usr/bin/python3", "-c",
                """
                import errno
                for size_mb in (3, 5):
                    try:
                        with open(f"/tmp/f{size_mb}", "wb") as f:
                            f.seek(size_mb * 1024 * 1024 - 1)
                            f.write(b"x")
                        print(f"{size_mb}MB=ok")
                    except OSError as e:
                        print(f"{size_mb}MB=" + errno.errorcode[e.errno])
                print([line for line in open("/proc/self/limits") if line.startswith("Max file size")][0].split()[3])
                """,
            ],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["3MB=ok", "5MB=EFBIG", (4 * 1024 * 1024).ToString()], run.Stdout);
    }

    [Fact]
    public async Task Writes_outside_tmp_fail_with_a_read_only_file_system()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell(
            "for path in /var/task/x /opt/ferry/x /usr/x /etc/x /x /tmp/x; do " +
            "if echo hi 2>/dev/null > $path; then echo \"$path=written\"; else echo \"$path=refused\"; fi; done; " +
            "touch /usr/x 2>&1 | grep -o 'Read-only file system'"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            ["/var/task/x=refused", "/opt/ferry/x=refused", "/usr/x=refused", "/etc/x=refused", "/x=refused", "/tmp/x=written", "Read-only file system"],
            run.Stdout);
    }

    [Fact]
    public async Task A_fork_bomb_hits_the_process_limit_and_the_sandbox_is_killed_cleanly()
    {
        Assert.True(SandboxTestFolders.Cgroups.Controllers.Contains("pids"), $"needs the pids controller: {SandboxTestFolders.Cgroups.Description}");
        var spec = _folders.Shell("unused", memoryMb: 1024) with
        {
            Command =
            [
                "/usr/bin/python3", "-c",
                """
                import errno, os, time
                forked = 0
                try:
                    while forked < 5000:
                        if os.fork() == 0:
                            os.execv("/bin/sleep", ["sleep", "1000"])
                        forked += 1
                except OSError as e:
                    print(f"forked={forked} error={errno.errorcode[e.errno]}", flush=True)
                time.sleep(1000)
                """,
            ],
        };
        await using var process = await _sandbox.StartAsync(spec, CancellationToken.None);

        Assert.True(await process.Output.WaitToReadAsync());
        Assert.True(process.Output.TryRead(out var line));
        var cgroup = Assert.IsType<SandboxedProcess>(process).Cgroup!;
        var pidsInCgroup = CgroupFiles.ReadPids(cgroup.ProcsFiles[0]).Count;
        await process.KillAsync();

        Assert.Matches("^forked=[0-9]+ error=EAGAIN$", line.Text);
        Assert.InRange(int.Parse(line.Text.Split(' ')[0]["forked=".Length..]), 1, CgroupLimits.DefaultMaxProcesses);
        Assert.InRange(pidsInCgroup, 1, CgroupLimits.DefaultMaxProcesses);
        Assert.Empty(CgroupFiles.ReadPids(cgroup.ProcsFiles[0]));
    }

    [Fact]
    public async Task Killing_pid_1_the_parent_or_everything_leaves_the_sandbox_running()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("kill -9 1; kill -9 $PPID; sleep 0.1; echo still-here; kill -9 -1; echo done"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["still-here", "done"], run.Stdout);
    }

    [Fact]
    public async Task Bridges_are_refused_when_the_network_is_shared()
    {
        var spec = _folders.Shell("true") with
        {
            AllowOutboundNetwork = true,
            Bridges = new SandboxBridges { PublishedPort = new PublishedPort(8080, Path.Combine(_folders.Root, "http.sock")) },
        };

        var error = await Assert.ThrowsAsync<SandboxStartException>(() => _sandbox.StartAsync(spec, CancellationToken.None));
        Assert.Contains("shares the host's network", error.Message);

        var unsandboxed = new UnsandboxedProcessSandbox(CgroupHost.Disabled("test", NullLogger.Instance), NullLogger.Instance);
        Assert.False(((ISandbox)unsandboxed).SupportsPrivateNetwork);
        await Assert.ThrowsAsync<SandboxStartException>(() => unsandboxed.StartAsync(spec with { AllowOutboundNetwork = false }, CancellationToken.None));
    }
}
