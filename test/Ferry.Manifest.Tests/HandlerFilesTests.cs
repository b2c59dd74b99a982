namespace Ferry.Manifest.Tests;

public sealed class HandlerFilesTests
{
    [Theory]
    [InlineData("nodejs20.x", "src/app.hello", new[] { "src/app.js", "src/app.mjs", "src/app.cjs" })]
    [InlineData("nodejs18.x", "handler.hello", new[] { "handler.js", "handler.mjs", "handler.cjs" })]
    [InlineData("nodejs22.x", "lib/index.handlers.get", new[] { "lib/index.js", "lib/index.mjs", "lib/index.cjs" })]
    [InlineData("python3.12", "src/app.hello", new[] { "src/app.py" })]
    [InlineData("python3.11", "pkg.module.handler", new[] { "pkg/module.py" })]
    [InlineData("provided.al2023", null, new[] { "bootstrap" })]
    [InlineData("provided", "anything goes", new[] { "bootstrap" })]
    [InlineData("web", null, new string[0])]
    [InlineData("nodejs20.x", null, new string[0])]
    [InlineData("python3.12", "../escape.handler", new string[0])]
    public void Candidates_per_runtime(string runtime, string? handler, string[] expected)
    {
        Assert.Equal(expected, HandlerFiles.Candidates(runtime, handler));
    }
}

public sealed class HandlerBuildSourcesTests
{
    [Fact]
    public void A_node_handler_is_built_from_typescript_first()
    {
        var (module, sources) = HandlerFiles.BuildSources("nodejs18.x", "src/app.hello")!.Value;

        Assert.Equal("src/app", module);
        Assert.Equal("src/app.ts", sources[0]);
        Assert.Contains("src/app.js", sources);
    }

    [Theory]
    [InlineData("python3.12", "app.hello")]
    [InlineData("nodejs20.x", null)]
    [InlineData("nodejs20.x", "../app.hello")]
    public void Other_runtimes_and_invalid_handlers_have_no_build_sources(string runtime, string? handler)
    {
        Assert.Null(HandlerFiles.BuildSources(runtime, handler));
    }
}
