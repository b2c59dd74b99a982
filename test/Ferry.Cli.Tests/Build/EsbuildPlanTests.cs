using Ferry.Cli.Build;
using Ferry.Manifest;

namespace Ferry.Cli.Tests.Build;

public sealed class EsbuildPlanTests : IDisposable
{
    private readonly string _app = Directory.CreateTempSubdirectory("ferry-esbuild-plan-").FullName;

    public void Dispose() => Directory.Delete(_app, recursive: true);

    private ServiceManifest Load(string yaml) =>
        ManifestLoader.Parse(yaml, "serverless.yml", _app, new ManifestLoadOptions
        {
            EnvironmentVariable = _ => null,
            Options = new Dictionary<string, string>(),
            ParamOverrides = new Dictionary<string, string>(),
        }).Manifest;

    private void Write(string path, string content = "export {};")
    {
        var full = Path.Combine(_app, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private const string TwoFunctions = """
        service: app
        provider:
          name: aws
          runtime: nodejs18.x
          environment:
            STAGE: dev
        functions:
          hello:
            handler: src/handler.hello
          bye:
            handler: src/handler.bye
          py:
            handler: app.main
            runtime: python3.12

        """;

    [Fact]
    public void A_plain_javascript_app_is_not_built()
    {
        Write("src/handler.js");

        Assert.Null(EsbuildPlan.Create(Load(TwoFunctions), _app));
    }

    [Fact]
    public void A_handler_that_exists_only_as_typescript_is_built_without_a_plugin()
    {
        Write("src/handler.ts");

        var plan = EsbuildPlan.Create(Load(TwoFunctions), _app)!;

        Assert.Equal(["src/handler.ts"], plan.Sources);
        Assert.Equal(["hello", "bye"], plan.Functions);
        var hello = plan.Manifest.Functions.Single(f => f.Name == "hello");
        Assert.Equal(".ferry/build/src/handler.hello", hello.Handler);
        Assert.Equal("--enable-source-maps", hello.Environment["NODE_OPTIONS"]);
        Assert.Equal("dev", hello.Environment["STAGE"]);
        Assert.Equal("app.main", plan.Manifest.Functions.Single(f => f.Name == "py").Handler);
        Assert.Contains(".ferry/build/**", plan.Manifest.PackagePatterns);
        Assert.Contains("--bundle", plan.Arguments);
        Assert.Contains("--target=node18", plan.Arguments);
        Assert.Contains("--format=cjs", plan.Arguments);
        Assert.Contains("--sourcemap", plan.Arguments);
        Assert.Contains("--outdir=.ferry/build", plan.Arguments);
        Assert.Contains("--external:aws-sdk", plan.Arguments);
        Assert.Contains("--external:@aws-sdk/*", plan.Arguments);
    }

    [Fact]
    public void With_serverless_esbuild_javascript_handlers_are_built_too_and_options_apply()
    {
        Write("src/handler.js");
        Directory.CreateDirectory(Path.Combine(_app, "node_modules", "@aws-sdk"));

        var plan = EsbuildPlan.Create(Load(TwoFunctions + """
            plugins: [serverless-esbuild]
            custom:
              esbuild:
                minify: true
                sourcemap: false
                target: node16
                external: [pg-native]
                exclude: []
            """), _app)!;

        Assert.Equal(["src/handler.js"], plan.Sources);
        Assert.Contains("--minify", plan.Arguments);
        Assert.Contains("--target=node16", plan.Arguments);
        Assert.Contains("--external:pg-native", plan.Arguments);
        Assert.DoesNotContain("--external:aws-sdk", plan.Arguments);
        Assert.DoesNotContain("--external:@aws-sdk/*", plan.Arguments); // the app installed it: bundled
        Assert.DoesNotContain(plan.Arguments, a => a.StartsWith("--sourcemap", StringComparison.Ordinal));
        Assert.False(plan.Manifest.Functions[0].Environment.ContainsKey("NODE_OPTIONS"));
    }

    [Fact]
    public void Serverless_plugin_typescript_leaves_packages_to_run_time_like_tsc()
    {
        Write("src/handler.ts");

        var plan = EsbuildPlan.Create(Load(TwoFunctions + "plugins: [serverless-plugin-typescript]\n"), _app)!;

        Assert.Contains("--packages=external", plan.Arguments);
    }

    [Fact]
    public void An_existing_node_options_value_keeps_its_flags()
    {
        Write("src/handler.ts");
        var manifest = Load(TwoFunctions.Replace("STAGE: dev", "NODE_OPTIONS: --max-old-space-size=100", StringComparison.Ordinal));

        var plan = EsbuildPlan.Create(manifest, _app)!;

        Assert.Equal("--max-old-space-size=100 --enable-source-maps", plan.Manifest.Functions[0].Environment["NODE_OPTIONS"]);
    }

    [Theory]
    [InlineData(new[] { "nodejs20.x", "nodejs18.x" }, "node18")]
    [InlineData(new[] { "nodejs22.x" }, "node22")]
    [InlineData(new string[0], "node18")]
    public void The_target_is_the_oldest_runtime(string[] runtimes, string expected)
    {
        Assert.Equal(expected, EsbuildPlan.TargetOf(runtimes));
    }
}

public sealed class EsbuildToolTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ferry-esbuild-tool-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_apps_own_esbuild_comes_first_then_ferrys_tools_folder()
    {
        var app = Path.Combine(_root, "app");
        var tools = Path.Combine(_root, "tools");
        var own = Path.Combine(app, "node_modules", ".bin", "esbuild");
        var ferrys = Path.Combine(tools, "node_modules", ".bin", "esbuild");
        Directory.CreateDirectory(Path.GetDirectoryName(ferrys)!);
        File.WriteAllText(ferrys, "");
        string? Environment(string name) => name == EsbuildTool.ToolsVariable ? tools : null;

        Assert.Equal(ferrys, EsbuildTool.Find(app, Environment));
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        File.WriteAllText(own, "");
        Assert.Equal(own, EsbuildTool.Find(app, Environment));
    }

    [Fact]
    public void No_esbuild_says_how_to_get_one()
    {
        var error = Assert.Throws<CliUserException>(() =>
            EsbuildTool.Find(Path.Combine(_root, "app"), name => name == EsbuildTool.ToolsVariable ? Path.Combine(_root, "none") : null));

        Assert.Contains("scripts/setup.sh", error.Message);
    }
}
