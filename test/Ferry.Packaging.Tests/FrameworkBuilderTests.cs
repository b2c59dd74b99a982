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
