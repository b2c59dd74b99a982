using Ferry.Cli.Local;

namespace Ferry.Cli.Tests.Local;

public sealed class AppChangeFilterTests : IDisposable
{
    private readonly string _app = Directory.CreateTempSubdirectory("ferry-dev-filter-").FullName;
    private readonly AppChangeFilter _filter;

    public AppChangeFilterTests()
    {
        _filter = new AppChangeFilter(_app, Path.Combine(_app, "serverless.yml"));
        _filter.UsePatterns(["!docs/**", "!**/*.test.js"]);
    }

    public void Dispose() => Directory.Delete(_app, recursive: true);

    private string At(string relative) => Path.Combine(_app, relative);

    [Theory]
    [InlineData("handler.js")]
    [InlineData("lib/util.py")]
    [InlineData("node_modules/left-pad/index.js")]
    public void Packaged_files_are_relevant(string relative) => Assert.True(_filter.IsRelevant(At(relative)));

    [Theory]
    [InlineData(".git/index")]
    [InlineData(".ferry/state.json")]
    [InlineData(".serverless/output.json")]
    [InlineData("lib/__pycache__/util.cpython-311.pyc")]
    public void Tool_and_cache_folders_are_ignored(string relative) => Assert.False(_filter.IsRelevant(At(relative)));

    [Theory]
    [InlineData("docs/readme.md")]
    [InlineData("lib/util.test.js")]
    public void Files_the_package_patterns_exclude_are_ignored(string relative) => Assert.False(_filter.IsRelevant(At(relative)));

    [Fact]
    public void The_manifest_is_relevant_even_when_the_patterns_exclude_it()
    {
        _filter.UsePatterns(["!serverless.yml"]);

        Assert.True(_filter.IsRelevant(At("serverless.yml")));
    }

    [Fact]
    public void Paths_outside_the_app_folder_are_ignored()
        => Assert.False(_filter.IsRelevant(Path.Combine(Path.GetDirectoryName(_app)!, "elsewhere.js")));

    [Fact]
    public void New_patterns_replace_the_old_ones()
    {
        _filter.UsePatterns([]);

        Assert.True(_filter.IsRelevant(At("docs/readme.md")));
    }
}
