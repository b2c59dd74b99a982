using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class UnsandboxedProcessSandboxTests : IDisposable
{
    private readonly SandboxTestFolders _folders = new();
    private readonly UnsandboxedProcessSandbox _sandbox = new(SandboxTestFolders.Cgroups, NullLogger.Instance);

    public void Dispose() => _folders.Dispose();

    [Fact]
    public void Description_says_there_is_no_sandbox()
    {
        Assert.StartsWith("NO SANDBOX", _sandbox.Description);
    }

    [Fact]
    public async Task The_file_size_limit_applies_without_a_sandbox_too()
    {
        var run = await SandboxRun.RunAsync(_sandbox, _folders.Shell("grep '^Max file size' /proc/self/limits") with { MaxFileSizeMb = 3 });

        Assert.Equal(0, run.ExitCode);
        Assert.Equal((3 * 1024 * 1024).ToString(), run.Stdout.Single().Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]);
    }

    [Fact]
    public async Task Sandbox_paths_in_argv_environment_and_working_directory_point_to_the_host_folders()
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["TMPDIR"] = SandboxPaths.Tmp,
            ["PYTHONPATH"] = $"{SandboxPaths.Code}:{SandboxPaths.Runtime}/python",
        };
        const string script = "cat \"$1\"; echo; pwd -P; echo \"$PYTHONPATH\"; echo \"$TMPDIR\"; test -d \"$TMPDIR\" && echo tmp-exists";
        var spec = _folders.Shell(script, environment) with
        {
            Command = ["sh", "-c", script, "sh", $"{SandboxPaths.Code}/marker.txt"],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(SandboxTestFolders.CodeMarker, run.Stdout[0]);
        Assert.Equal(Path.GetFullPath(_folders.CodeDirectory), run.Stdout[1]);
        Assert.Equal($"{_folders.CodeDirectory}:{_folders.RuntimeDirectory}/python", run.Stdout[2]);
        Assert.NotEqual(SandboxPaths.Tmp, run.Stdout[3]);
        Assert.Equal("tmp-exists", run.Stdout[4]);
        Assert.False(Directory.Exists(run.Stdout[3]), "the private temp folder is deleted on dispose");
    }

    [Fact]
    public async Task Environment_is_exactly_what_was_given_plus_the_working_directory()
    {
        var environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["ONLY"] = "this" };
        var spec = _folders.Shell("unused", environment) with { Command = ["env"] };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["ONLY=this", "PATH=/usr/bin:/bin", $"PWD={_folders.CodeDirectory}"], run.Stdout.Order());
    }

    [Fact]
    public async Task Memory_is_still_limited_by_the_cgroup()
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
    }

    [Fact]
    public async Task KillAsync_kills_children_too()
    {
        await using var process = await _sandbox.StartAsync(_folders.Shell("sleep 1000 & echo started; wait"), CancellationToken.None);
        Assert.True(await process.Output.WaitToReadAsync());
        var descendants = HostProcesses.Descendants(process.Pid);
        Assert.NotEmpty(descendants);

        await process.KillAsync();

        Assert.All(descendants.Append(process.Pid), pid => Assert.True(HostProcesses.IsGone(pid), $"pid {pid} is still running"));
    }
}

public sealed class SandboxFactoryTests
{
    [Fact]
    public void Insecure_mode_runs_without_a_sandbox()
    {
        var sandbox = SandboxFactory.Create(insecureNoSandbox: true, NullLoggerFactory.Instance);

        Assert.IsType<UnsandboxedProcessSandbox>(sandbox);
        Assert.Contains("NO SANDBOX", sandbox.Description);
    }

    [Fact]
    public void Default_is_bubblewrap_when_installed()
    {
        Assert.True(BubblewrapSandbox.TryFind() is not null, "These tests need bubblewrap: install it with `apt-get install bubblewrap`.");

        var sandbox = SandboxFactory.Create(insecureNoSandbox: false, NullLoggerFactory.Instance);

        Assert.IsType<BubblewrapSandbox>(sandbox);
    }

    [Fact]
    public void Missing_bubblewrap_message_explains_both_ways_out()
    {
        Assert.Contains("apt-get install bubblewrap", SandboxFactory.BubblewrapMissingMessage);
        Assert.Contains("--insecure-no-sandbox", SandboxFactory.BubblewrapMissingMessage);
    }
}
