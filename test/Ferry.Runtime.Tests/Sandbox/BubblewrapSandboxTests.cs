using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class BubblewrapSandboxTests : IDisposable
{
    private readonly SandboxTestFolders _folders = new();
    private readonly BubblewrapSandbox _sandbox = SandboxTestFolders.CreateBubblewrap();

    public void Dispose() => _folders.Dispose();

    [Fact]
    public void Description_names_bubblewrap_and_the_cgroups()
    {
        Assert.StartsWith("bubblewrap ", _sandbox.Description);
        Assert.Contains(SandboxTestFolders.Cgroups.Description, _sandbox.Description);
    }

    [Fact]
    public async Task Code_and_runtime_are_mounted_read_only()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell(
            "cat /var/task/marker.txt; echo; cat /opt/ferry/marker.txt; echo; " +
            "if touch /var/task/new 2>/dev/null; then echo code-writable; else echo code-read-only; fi; " +
            "if touch /opt/ferry/new 2>/dev/null; then echo runtime-writable; else echo runtime-read-only; fi; " +
            "if touch /new 2>/dev/null; then echo root-writable; else echo root-read-only; fi; pwd"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [SandboxTestFolders.CodeMarker, SandboxTestFolders.RuntimeMarker, "code-read-only", "runtime-read-only", "root-read-only", SandboxPaths.Code],
            run.Stdout);
        Assert.False(File.Exists(Path.Combine(_folders.CodeDirectory, "new")));
    }

    [Fact]
    public async Task Tmp_is_writable_and_private()
    {
        var name = "ferry-private-" + Guid.NewGuid().ToString("N");

        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell($"echo secret > /tmp/{name} && cat /tmp/{name}"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["secret"], run.Stdout);
        Assert.False(File.Exists(Path.Combine("/tmp", name)));
    }

    [Fact]
    public async Task Runs_in_its_own_pid_namespace()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("echo $$; ls /proc | grep -c '^[0-9]'; hostname"));

        Assert.Equal(0, run.ExitCode);
        Assert.InRange(int.Parse(run.Stdout[0]), 1, 3);
        Assert.InRange(int.Parse(run.Stdout[1]), 1, 6); // bwrap's init, sh, ls, grep
        Assert.Equal(BubblewrapCommandLine.Hostname, run.Stdout[2]);
    }

    [Fact]
    public async Task Host_folders_are_not_visible()
    {
        string[] hostPaths =
        [
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            _folders.Root,
            AppContext.BaseDirectory,
            "/var/lib",
            "/sys/fs/cgroup",
        ];
        var script = string.Join("; ", hostPaths.Select((_, i) => $"if [ -e \"${i + 1}\" ]; then echo visible; else echo hidden; fi"));
        var spec = _folders.Shell(script);
        spec = spec with { Command = [.. spec.Command, "sh", .. hostPaths] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Enumerable.Repeat("hidden", hostPaths.Length), run.Stdout);
    }

    [Fact]
    public async Task Environment_is_exactly_what_was_given_plus_the_working_directory()
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["GREETING"] = "hello 'quoted' $NOT_EXPANDED",
            ["EMPTY"] = "",
        };
        var spec = _folders.Shell("unused", environment) with { Command = ["env"] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        var expected = environment.Append(new("PWD", SandboxPaths.Code)).Select(e => $"{e.Key}={e.Value}");
        Assert.Equal(expected.Order(), run.Stdout.Order());
    }

    [Fact]
    public async Task Stdout_and_stderr_lines_are_told_apart_and_the_exit_code_is_reported()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("echo out; echo err >&2; printf 'no newline'; exit 7"));

        Assert.Equal(7, run.ExitCode);
        Assert.Equal(["out", "no newline"], run.Stdout);
        Assert.Equal(["err"], run.Stderr);
    }

    [Fact]
    public async Task Bare_python3_resolves_to_the_system_interpreter()
    {
        var spec = _folders.Shell("unused") with { Command = ["python3", "-c", "import sys; print(sys.executable)"] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["/usr/bin/python3"], run.Stdout);
    }

    [Fact]
    public async Task KillAsync_kills_the_sandbox_with_all_its_children()
    {
        await using var process = await _sandbox.StartAsync(_folders.Shell("sleep 1000 & sleep 1000 & echo started; wait"), CancellationToken.None);
        Assert.True(await process.Output.WaitToReadAsync());
        Assert.True(process.Output.TryRead(out var started));
        Assert.Equal("started", started.Text);
        var descendants = HostProcesses.Descendants(process.Pid);
        Assert.True(descendants.Count >= 3, $"expected bwrap's children, the shell and two sleeps; found {descendants.Count}");

        await process.KillAsync();
        await process.KillAsync();

        Assert.True(process.Exited.IsCompleted);
        Assert.NotEqual(0, await process.Exited);
        Assert.All(descendants.Append(process.Pid), pid => Assert.True(HostProcesses.IsGone(pid), $"pid {pid} is still running"));
    }

    [Fact]
    public async Task Memory_limit_kills_a_process_that_allocates_more()
    {
        Assert.True(SandboxTestFolders.Cgroups.LimitsMemory, $"needs a writable memory cgroup (run as root): {SandboxTestFolders.Cgroups.Description}");
        var spec = _folders.Shell("unused", memoryMb: 128) with
        {
            Command = ["/usr/bin/python3", "-c", "b = b'x' * (300 * 1024 * 1024); print('survived')"],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("survived", run.Stdout);
        Assert.NotNull(run.PeakMemoryBytes);
        Assert.InRange(run.PeakMemoryBytes.Value, 1, 128L * 1024 * 1024);
    }

    [Fact]
    public async Task Peak_memory_reflects_what_the_sandbox_used()
    {
        Assert.True(SandboxTestFolders.Cgroups.LimitsMemory, $"needs a writable memory cgroup (run as root): {SandboxTestFolders.Cgroups.Description}");
        var spec = _folders.Shell("unused", memoryMb: 256) with
        {
            Command = ["/usr/bin/python3", "-c", "b = b'x' * (64 * 1024 * 1024); print('survived')"],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["survived"], run.Stdout);
        Assert.InRange(run.PeakMemoryBytes!.Value, 64L * 1024 * 1024, 256L * 1024 * 1024);
    }

    [Fact]
    public async Task Cgroup_holds_the_limits_and_is_removed_on_dispose()
    {
        Assert.True(SandboxTestFolders.Cgroups.Controllers.Count > 0, $"needs writable cgroups (run as root): {SandboxTestFolders.Cgroups.Description}");
        var process = await _sandbox.StartAsync(_folders.Shell("sleep 1000", memoryMb: 512), CancellationToken.None);
        var cgroup = Assert.IsType<SandboxedProcess>(process).Cgroup;
        Assert.NotNull(cgroup);
        Assert.All(cgroup.Directories, directory => Assert.True(Directory.Exists(directory)));

        string? ReadControlFile(string name) =>
            cgroup.Directories.Select(d => Path.Combine(d, name)).Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).FirstOrDefault();
        if (SandboxTestFolders.Cgroups.Controllers.Contains("pids"))
        {
            Assert.Equal("512", ReadControlFile("pids.max"));
        }

        if (SandboxTestFolders.Cgroups.LimitsMemory)
        {
            Assert.Equal((512L * 1024 * 1024).ToString(), ReadControlFile("memory.limit_in_bytes") ?? ReadControlFile("memory.max"));
        }

        await process.DisposeAsync();

        Assert.All(cgroup.Directories, directory => Assert.False(Directory.Exists(directory)));
        Assert.True(process.Exited.IsCompleted);
    }

    [Fact]
    public async Task A_background_sandbox_gets_a_thirty_second_of_the_default_cpu_weight_and_gets_it_back()
    {
        Assert.True(SandboxTestFolders.Cgroups.Controllers.Contains("cpu"), $"needs a writable cpu cgroup (run as root): {SandboxTestFolders.Cgroups.Description}");
        await using var process = await _sandbox.StartAsync(_folders.Shell("sleep 1000"), CancellationToken.None);
        var cgroup = Assert.IsType<SandboxedProcess>(process).Cgroup;
        Assert.NotNull(cgroup);
        string Weight() => cgroup.Directories.Select(d => Path.Combine(d, "cpu.shares")).Concat(cgroup.Directories.Select(d => Path.Combine(d, "cpu.weight")))
            .Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).Single();
        var normal = Weight();
        Assert.Contains(normal, new[] { "1024", "100" });

        process.SetCpuPriority(CpuPriority.Background);
        Assert.Equal(normal == "1024" ? "32" : "3", Weight());

        process.SetCpuPriority(CpuPriority.Normal);
        Assert.Equal(normal, Weight());
    }

    [Fact]
    public async Task Unknown_program_fails_to_start_with_its_name()
    {
        var spec = _folders.Shell("unused") with { Command = ["ferry-no-such-program"] };

        var error = await Assert.ThrowsAsync<SandboxStartException>(() => _sandbox.StartAsync(spec, CancellationToken.None));

        Assert.Contains("ferry-no-such-program", error.Message);
    }

    [Fact]
    public async Task Missing_bwrap_fails_to_start_with_the_install_hint()
    {
        var missing = new BubblewrapSandbox("/nonexistent/bwrap", CgroupHost.Disabled("test", NullLogger.Instance), NullLogger.Instance);

        var error = await Assert.ThrowsAsync<SandboxStartException>(() => missing.StartAsync(_folders.Shell("true"), CancellationToken.None));

        Assert.Contains("apt-get install bubblewrap", error.Message);
    }
}
