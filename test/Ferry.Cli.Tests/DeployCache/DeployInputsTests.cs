using Ferry.Cli.DeployCache;

namespace Ferry.Cli.Tests.DeployCache;

/// <summary>The deploy cache's fingerprint: what changes it, and what must not.</summary>
public sealed class DeployInputsTests : IDisposable
{
    private static readonly IReadOnlyList<string> Patterns = ["!secrets/**"];

    private readonly string _app = Directory.CreateTempSubdirectory("ferry-inputs-").FullName;
    private readonly Dictionary<string, string> _environment = new() { ["GREETING"] = "hello" };
    private Dictionary<string, string> _parameters = new() { ["size"] = "large" };

    public DeployInputsTests()
    {
        Write("serverless.yml", "service: hello\n");
        Write("handler.js", "exports.hello = 1;\n");
        Write("config.yml", "limit: 3\n");
        Write("secrets/key.pem", "secret");
    }

    public void Dispose() => Directory.Delete(_app, recursive: true);

    private string Write(string relativePath, string content)
    {
        var path = Path.Combine(_app, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A new record's inputs, or (with <paramref name="earlier"/>) the inputs compared with that record's.</summary>
    private DeployInputs Take(IReadOnlyList<string>? patterns = null, DeployInputs? earlier = null) => DeployInputs.Take(
        _app, Path.Combine(_app, "serverless.yml"), _parameters,
        [Path.Combine(_app, "config.yml"), Path.Combine(_app, "missing.yml")],
        ["GREETING", "UNSET_VARIABLE"], name => _environment.GetValueOrDefault(name),
        patterns ?? Patterns, earlier?.RecentFiles.Select(f => f.Path), CancellationToken.None)!;

    [Fact]
    public void Reading_the_same_app_twice_gives_the_same_inputs()
    {
        var first = Take();
        var second = Take(earlier: first);

        Assert.Null(second.DifferenceFrom(first));
        Assert.Equal(3, first.FolderFiles);
    }

    [Fact]
    public void A_touched_file_changes_the_folder_even_with_the_same_content()
    {
        var before = Take();
        var handler = Path.Combine(_app, "handler.js");
        File.SetLastWriteTimeUtc(handler, File.GetLastWriteTimeUtc(handler).AddSeconds(1));

        Assert.Equal("files in the app folder changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void A_just_written_file_is_compared_by_content_so_a_same_size_edit_in_the_same_tick_is_seen()
    {
        var handler = Path.Combine(_app, "handler.js");
        var before = Take();
        Assert.Contains(before.RecentFiles, f => f.Path == "handler.js");
        var time = File.GetLastWriteTimeUtc(handler);
        File.WriteAllText(handler, "exports.hello = 2;\n");
        File.SetLastWriteTimeUtc(handler, time);

        Assert.Equal("files in the app folder changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void An_older_file_is_compared_by_its_listing_only()
    {
        var handler = Path.Combine(_app, "handler.js");
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(handler, old);
        var before = Take();
        Assert.DoesNotContain(before.RecentFiles, f => f.Path == "handler.js");

        File.SetLastWriteTimeUtc(handler, old.AddTicks(1));
        Assert.Equal("files in the app folder changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void A_new_file_in_the_package_changes_the_folder()
    {
        var before = Take();
        Write("lib/util.js", "module.exports = {};\n");

        Assert.Equal("files in the app folder changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void Files_the_package_excludes_do_not_change_it()
    {
        var before = Take();
        Write("secrets/key.pem", "another secret, longer than before");
        Write(".git/HEAD", "ref: refs/heads/main\n");
        Write(".serverless/state.json", "{}");

        Assert.Null(Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void After_a_build_excluded_files_count_too_but_version_control_does_not()
    {
        var before = Take(DeployInputs.WholeFolder);
        Write(".git/HEAD", "ref: refs/heads/other\n");
        Assert.Null(Take(DeployInputs.WholeFolder, before).DifferenceFrom(before));

        Write("secrets/key.pem", "another secret, longer than before");
        Assert.Equal("files in the app folder changed", Take(DeployInputs.WholeFolder, before).DifferenceFrom(before));
    }

    [Fact]
    public void A_changed_environment_value_changes_it_and_the_value_is_not_kept()
    {
        var before = Take();
        _environment["GREETING"] = "bonjour";
        var after = Take(earlier: before);

        Assert.Equal("an environment variable the deploy read changed", after.DifferenceFrom(before));
        Assert.DoesNotContain(after.Environment, e => e.Sha256 is { } digest && digest.Contains("bonjour", StringComparison.Ordinal));
        Assert.Null(after.Environment.Single(e => e.Name == "UNSET_VARIABLE").Sha256);
    }

    [Fact]
    public void Setting_a_variable_that_was_unset_changes_it()
    {
        var before = Take();
        _environment["UNSET_VARIABLE"] = "";

        Assert.Equal("an environment variable the deploy read changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void A_changed_param_changes_it()
    {
        var before = Take();
        _parameters = new() { ["size"] = "small" };

        Assert.Equal("the --param values differ", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void A_file_the_manifest_reads_changes_it_even_when_the_package_excludes_it()
    {
        File.Move(Path.Combine(_app, "config.yml"), Path.Combine(_app, "secrets", "config.yml"));
        DeployInputs TakeSecret() => DeployInputs.Take(_app, Path.Combine(_app, "serverless.yml"), _parameters,
            [Path.Combine(_app, "secrets", "config.yml")], [], _ => null, Patterns, [], CancellationToken.None)!;
        var before = TakeSecret();
        Write("secrets/config.yml", "limit: 4\n");

        Assert.Equal("a file ${file(…)} reads changed", TakeSecret().DifferenceFrom(before));
    }

    [Fact]
    public void A_missing_file_that_appears_changes_it()
    {
        var before = Take();
        Write("missing.yml", "now: here\n");

        Assert.Equal("a file ${file(…)} reads changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void An_edited_manifest_changes_it()
    {
        var before = Take();
        Write("serverless.yml", "service: hello2\n");

        // The manifest is in the package too; its own digest is compared first.
        Assert.Equal("the manifest file changed", Take(earlier: before).DifferenceFrom(before));
    }

    [Fact]
    public void A_changed_stage_is_another_record()
    {
        var dev = DeployCacheKey.For(new Uri("http://127.0.0.1:8080"), "token", _app, Path.Combine(_app, "serverless.yml"), "dev", null);
        var prod = dev with { Stage = "prod" };
        var otherToken = DeployCacheKey.For(new Uri("http://127.0.0.1:8080"), "token2", _app, Path.Combine(_app, "serverless.yml"), "dev", null);

        Assert.NotEqual(dev.FileName, prod.FileName);
        Assert.NotEqual(dev.FileName, otherToken.FileName);
        Assert.DoesNotContain("token", dev.Identity.Replace("token-sha256:", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_variables_are_watched_only_after_a_build()
    {
        string[] names = ["PATH", "NEXT_PUBLIC_API", "VITE_MODE", "HOME"];

        Assert.Equal(["GREETING"], DeployInputRecorder.VariablesToWatch(["GREETING"], built: false, names));
        var watched = DeployInputRecorder.VariablesToWatch(["GREETING"], built: true, names).ToList();
        Assert.Contains("NEXT_PUBLIC_API", watched);
        Assert.Contains("VITE_MODE", watched);
        Assert.Contains("NODE_ENV", watched);
        Assert.DoesNotContain("PATH", watched);
    }
}
