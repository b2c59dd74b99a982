using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>Build steps run in the app folder and are skipped while their inputs are unchanged.</summary>
public sealed class FrameworkBuilderTests : IDisposable
{
    private readonly TempDirectory _app = new();
    private readonly List<BuildProgress> _lines = [];

    public void Dispose() => _app.Dispose();

    private Task BuildAsync(params BuildStep[] steps)
    {
        var plan = new FrameworkPlan(new PlainPhpPreset(), "test", ["true"], new Dictionary<string, string>(), steps);
        return FrameworkBuilder.RunAsync(plan, new ProjectFiles(_app.Path), new InlineProgress(_lines.Add), CancellationToken.None);
    }

    private static BuildStep Counting(string name = "install") =>
        new(name, ["sh", "-c", "mkdir -p out && echo ran >> runs.txt"], BuildInputs.Of("deps.lock"), "out");

    private int Runs => File.Exists(_app.Combine("runs.txt")) ? File.ReadAllLines(_app.Combine("runs.txt")).Length : 0;

    [Fact]
    public async Task A_step_runs_again_only_when_its_lock_file_changes_or_its_output_is_gone()
    {
        _app.WriteFile("deps.lock", "v1");

        await BuildAsync(Counting());
        await BuildAsync(Counting());
        Assert.Equal(1, Runs);
        Assert.Contains(_lines, line => line.Text == "Build: install skipped (deps.lock unchanged)");
        Assert.True(File.Exists(_app.Combine(BuildCache.RelativePath)));

        _app.WriteFile("deps.lock", "v2");
        await BuildAsync(Counting());
        Assert.Equal(2, Runs);

        Directory.Delete(_app.Combine("out"));
        await BuildAsync(Counting());
        Assert.Equal(3, Runs);
    }

    [Fact]
    public async Task A_step_gets_its_support_files_in_the_ferry_folder_and_its_variables_and_runs_again_when_either_changes()
    {
        _app.WriteFile("deps.lock", "v1");
        BuildStep Step(string tool, string mode) => new("build", ["sh", "-c", "mkdir -p out && cat \"$TOOL\" > out/tool && echo \"$MODE\" > out/mode && echo ran >> runs.txt"],
            BuildInputs.Of("deps.lock"), "out")
        {
            SupportFiles = new Dictionary<string, string> { ["tool.js"] = tool },
            Environment = new Dictionary<string, string> { ["TOOL"] = "{ferry}/tool.js", ["MODE"] = mode },
        };

        await BuildAsync(Step("one", "a"));
        Assert.Equal("one", File.ReadAllText(_app.Combine(".ferry/tool.js")));
        Assert.Equal(("one", "a\n"), (File.ReadAllText(_app.Combine("out/tool")), File.ReadAllText(_app.Combine("out/mode"))));

        await BuildAsync(Step("one", "a"));
        Assert.Equal(1, Runs);
        await BuildAsync(Step("two", "a"));
        Assert.Equal(2, Runs);
        await BuildAsync(Step("two", "b"));
        Assert.Equal(3, Runs);
        Assert.Equal(("two", "b\n"), (File.ReadAllText(_app.Combine("out/tool")), File.ReadAllText(_app.Combine("out/mode"))));
    }

    [Fact]
    public async Task Support_files_replace_a_link_in_their_place_instead_of_writing_through_it()
    {
        using var elsewhere = new TempDirectory();
        var target = Path.Combine(elsewhere.Path, "victim");
        File.WriteAllText(target, "untouched");
        Directory.CreateDirectory(_app.Combine(".ferry"));
        File.CreateSymbolicLink(_app.Combine(".ferry/tool.js"), target);

        await BuildAsync(Counting() with { SupportFiles = new Dictionary<string, string> { ["tool.js"] = "ferry's" } });

        Assert.Equal("untouched", File.ReadAllText(target));
        Assert.Equal("ferry's", File.ReadAllText(_app.Combine(".ferry/tool.js")));
        Assert.Null(new FileInfo(_app.Combine(".ferry/tool.js")).LinkTarget);
    }

    [Fact]
    public async Task Support_files_are_not_written_into_a_linked_ferry_folder()
    {
        using var elsewhere = new TempDirectory();
        Directory.CreateSymbolicLink(_app.Combine(".ferry"), elsewhere.Path);

        var error = await Assert.ThrowsAsync<FrameworkException>(
            () => BuildAsync(Counting() with { SupportFiles = new Dictionary<string, string> { ["tool.js"] = "ferry's" } }));

        Assert.Contains("is a symbolic link", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere.Path));
    }

    [Fact]
    public async Task A_step_for_a_missing_output_only_is_skipped_while_the_output_exists()
    {
        Directory.CreateDirectory(_app.Combine("out"));

        await BuildAsync(Counting() with { OnlyWhenOutputMissing = true });

        Assert.Equal(0, Runs);
        Assert.Contains(_lines, line => line.Text == "Build: install skipped (out/ exists)");
    }

    [Fact]
    public async Task A_failing_step_is_an_error_with_the_end_of_its_output_and_is_not_cached()
    {
        var failing = new BuildStep("compile", ["sh", "-c", "echo first; echo 'syntax error in app.ts' >&2; exit 3"], BuildInputs.Sources, "out");

        var error = await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(failing));

        Assert.Contains("compile failed with exit code 3", error.Message);
        Assert.Contains("syntax error in app.ts", error.Message);
        Assert.False(File.Exists(_app.Combine(BuildCache.RelativePath)));
    }

    [Fact]
    public async Task A_missing_tool_is_reported_with_the_step_hint()
    {
        var step = new BuildStep("composer install", ["ferry-no-such-tool-xyz"], BuildInputs.Of("composer.json"), "vendor")
        {
            MissingToolHint = "composer is not installed",
        };

        var error = await Assert.ThrowsAsync<FrameworkException>(() => BuildAsync(step));

        Assert.Equal("composer is not installed", error.Message);
    }

    private sealed class InlineProgress(Action<BuildProgress> report) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => report(value);
    }
}
