using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>
/// Build steps run by <see cref="FrameworkBuilder"/> in a real bubblewrap sandbox (scripts/setup.sh installs bwrap):
/// they write their app folder and their HOME, and nothing else of the host.
/// </summary>
public sealed class SandboxedBuildTests : IDisposable
{
    private readonly TempDirectory _app = new();
    private readonly TempDirectory _cache = new();
    private readonly List<BuildProgress> _lines = [];

    public void Dispose()
    {
        _app.Dispose();
        _cache.Dispose();
    }

    private BuildSandbox Sandbox()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var bwrap = BuildProgram.Resolve("bwrap", "/", path) ?? throw new InvalidOperationException("bubblewrap is not installed; run scripts/setup.sh");
        var environment = BuildEnvironment.Create(
            new Dictionary<string, string> { ["PATH"] = path ?? BuildProgram.DefaultSearchPath, ["FERRY_TOKEN"] = "secret-token" }, null, _ => false);
        return new BuildSandbox(bwrap, BuildProgram.Resolve("prlimit", "/", path), _cache.Path, environment);
    }

    private Task BuildAsync(BuildSandbox sandbox, string script)
    {
        var step = new BuildStep("build", ["sh", "-c", script], BuildInputs.Sources, "out");
        var plan = new FrameworkPlan(new PlainPhpPreset(), "test", ["true"], new Dictionary<string, string>(), [step]);
        return FrameworkBuilder.RunAsync(plan, new ProjectFiles(_app.Path), sandbox, new InlineProgress(_lines.Add), CancellationToken.None);
    }

    [Fact]
    public async Task A_step_writes_its_app_folder_and_its_home_and_sees_a_scrubbed_environment()
    {
        await BuildAsync(Sandbox(), """mkdir -p out && echo built > out/file && echo cached > "$HOME/cache-entry" && env > out/env && echo tmp > /tmp/t""");

        Assert.Equal("built\n", File.ReadAllText(_app.Combine("out/file")));
        Assert.Equal("cached\n", File.ReadAllText(Path.Combine(_cache.Path, "cache-entry")));
        var environment = File.ReadAllLines(_app.Combine("out/env"));
        Assert.Contains($"HOME={BuildProgram.RealPath(_cache.Path)}", environment);
        Assert.Contains("CI=1", environment);
        Assert.DoesNotContain(environment, line => line.StartsWith("FERRY_TOKEN=", StringComparison.Ordinal));
        Assert.Contains(_lines, line => line.Text.StartsWith("Build: build done in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_step_finds_its_support_files_through_its_variables_inside_the_sandbox()
    {
        var step = new BuildStep("build", ["sh", "-c", "mkdir -p out && cat \"$TOOL\" > out/tool"], BuildInputs.Sources, "out")
        {
            SupportFiles = new Dictionary<string, string> { ["tool.js"] = "module.exports = 1;\n" },
            Environment = new Dictionary<string, string> { ["TOOL"] = "{ferry}/tool.js" },
        };
        var plan = new FrameworkPlan(new PlainPhpPreset(), "test", ["true"], new Dictionary<string, string>(), [step]);

        await FrameworkBuilder.RunAsync(plan, new ProjectFiles(_app.Path), Sandbox(), new InlineProgress(_lines.Add), CancellationToken.None);

        Assert.Equal("module.exports = 1;\n", File.ReadAllText(_app.Combine("out/tool")));
    }

    [Fact]
    public async Task A_step_that_writes_outside_its_app_folder_fails_naming_the_sandbox()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var outside = Path.Combine(home, $"ferry-build-escape-{Guid.NewGuid():N}");

        var error = await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(Sandbox(), $"mkdir -p out && touch '{outside}'"));

        Assert.False(File.Exists(outside));
        Assert.Contains("build failed with exit code 1", error.Message);
        Assert.Contains("Read-only file system", error.Message);
        Assert.Contains("build sandbox: only the app folder and the build's HOME", error.Message);
        Assert.False(File.Exists(_app.Combine(BuildCache.RelativePath)));
    }

    [Fact]
    public async Task A_step_cannot_write_system_folders_nor_gain_privileges()
    {
        var marker = $"/etc/ferry-build-escape-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(Sandbox(),
            $"grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch {marker}"));

        Assert.False(File.Exists(marker));
        Assert.Contains("Read-only file system", error.Message);
        Assert.Contains("CapEff:\t0000000000000000", error.Message);
        Assert.Contains("NoNewPrivs:\t1", error.Message);
    }

    [Fact]
    public async Task A_step_runs_under_the_rlimits()
    {
        var sandbox = Sandbox() with { Limits = BuildLimits.Default with { MaxFileBytes = 1 << 20, CpuSeconds = 123 } };

        await BuildAsync(sandbox, "mkdir -p out && ulimit -t > out/cpu && { head -c 2000000 /dev/zero > out/big 2>/dev/null; echo $? > out/status; }");

        Assert.Equal("123", File.ReadAllText(_app.Combine("out/cpu")).Trim());
        Assert.Equal(1 << 20, new FileInfo(_app.Combine("out/big")).Length);
        Assert.NotEqual("0", File.ReadAllText(_app.Combine("out/status")).Trim());
    }

    [Fact]
    public async Task A_step_that_writes_too_much_output_is_stopped()
    {
        var sandbox = Sandbox() with { Limits = BuildLimits.Default with { MaxOutputBytes = 64 * 1024 } };

        var error = await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(sandbox, "while :; do echo spam; done"));

        Assert.StartsWith("build wrote more than", error.Message);
        Assert.Contains("spam", error.Message);
    }

    [Fact]
    public async Task A_missing_tool_is_reported_with_the_step_hint_before_the_sandbox_starts()
    {
        var step = new BuildStep("composer install", ["ferry-no-such-tool-xyz"], BuildInputs.Of("composer.json"), "vendor")
        {
            MissingToolHint = "composer is not installed",
        };
        var plan = new FrameworkPlan(new PlainPhpPreset(), "test", ["true"], new Dictionary<string, string>(), [step]);

        var error = await Assert.ThrowsAsync<FrameworkException>(() =>
            FrameworkBuilder.RunAsync(plan, new ProjectFiles(_app.Path), Sandbox(), new InlineProgress(_lines.Add), CancellationToken.None));

        Assert.Equal("composer is not installed", error.Message);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public async Task A_sandbox_start_that_raced_with_a_host_unmount_is_started_again_up_to_three_times(int races, bool succeeds)
    {
        // A bwrap in front of the real one that fails its first starts as bwrap does when a host mount vanishes while
        // it copies the mount tree.
        var real = Sandbox().Bubblewrap;
        var counter = _cache.Combine("starts");
        var wrapper = _cache.Combine("bwrap");
        File.WriteAllText(wrapper, $$"""
            #!/bin/sh
            echo x >> '{{counter}}'
            if [ "$(wc -l < '{{counter}}')" -le {{races}} ]; then
              echo 'bwrap: Unable to apply mount flags: remount "/newroot/tmp/ferry-data-1/stem-cells/node": No such file or directory' >&2
              exit 1
            fi
            exec '{{real}}' "$@"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var sandbox = Sandbox() with { Bubblewrap = wrapper };

        var build = BuildAsync(sandbox, "mkdir -p out && echo built >> out/file");

        if (succeeds)
        {
            await build;
            Assert.Equal("built\n", File.ReadAllText(_app.Combine("out/file")));
            Assert.Equal(races + 1, File.ReadAllLines(counter).Length);
            Assert.Equal(races, _lines.Count(line => line.Text.Contains("a host mount changed while the build sandbox started", StringComparison.Ordinal)));
        }
        else
        {
            var error = await Assert.ThrowsAsync<FrameworkException>(() => build);
            Assert.Contains("Unable to apply mount flags", error.Message);
            Assert.Equal(3, File.ReadAllLines(counter).Length);
            Assert.False(File.Exists(_app.Combine("out/file")));
        }
    }

    [Fact]
    public async Task A_step_that_failed_after_it_started_is_not_run_again()
    {
        var counter = _app.Combine("runs");

        await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(Sandbox(), $"echo x >> '{counter}'; echo building; echo 'bwrap: Unable to apply mount flags: remount \"/newroot/x\": No such file or directory' >&2; exit 1"));

        Assert.Single(File.ReadAllLines(counter));
    }

    private sealed class InlineProgress(Action<BuildProgress> report) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => report(value);
    }
}
