using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>Egg.js apps: how they are recognised, installed and started as one process by Ferry's egg launcher.</summary>
public sealed class EggPresetTests : IDisposable
{
    private readonly TempDirectory _app = new();

    public void Dispose() => _app.Dispose();

    private FrameworkPlan Detect() => FrameworkCatalog.Plan(null, new ProjectFiles(_app.Path));

    [Fact]
    public void An_egg_app_runs_under_the_egg_launcher_in_prod_after_npm_ci()
    {
        _app.WriteFile("package.json", """
            { "scripts": { "start": "egg-scripts start --daemon" }, "dependencies": { "egg": "^3.34.0", "egg-scripts": "^2.17.0" } }
            """);
        _app.WriteFile("package-lock.json", "{}");
        _app.WriteFile("app/router.js", "module.exports = () => {};");

        var plan = Detect();

        Assert.Equal("egg", plan.Preset.Name);
        Assert.Equal("package.json depends on egg", plan.Reason);
        Assert.Equal(["node", "/opt/ferry/node/egg-launcher.cjs"], plan.Command);
        Assert.Equal("prod", plan.Environment["EGG_SERVER_ENV"]);
        Assert.Equal("production", plan.Environment["NODE_ENV"]);
        var install = Assert.Single(plan.Steps);
        Assert.Equal(["npm", "ci", "--no-audit", "--no-fund"], install.Command);
    }

    [Fact]
    public void Egg_wins_over_koa_listed_beside_it()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "egg": "3", "koa-compress": "5", "koa": "2" } }""");
        _app.WriteFile("app.js", "");

        Assert.Equal("egg", Detect().Preset.Name);
    }

    [Fact]
    public void An_app_on_a_custom_egg_framework_is_detected_by_its_egg_framework_setting()
    {
        _app.WriteFile("package.json", """{ "egg": { "framework": "harbour-egg" }, "dependencies": { "harbour-egg": "1" } }""");

        var plan = Detect();

        Assert.Equal("egg", plan.Preset.Name);
        Assert.Equal("package.json names the egg framework harbour-egg", plan.Reason);
    }

    [Fact]
    public void Named_by_framework_egg_the_preset_plans_without_detection()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "egg": "3" } }""");

        var plan = FrameworkCatalog.Plan("egg", new ProjectFiles(_app.Path));

        Assert.Equal("framework: egg", plan.Reason);
        Assert.Equal("npm install", Assert.Single(plan.Steps).Name);
    }

    [Fact]
    public void A_typescript_egg_app_is_compiled_with_its_tsc_script_after_the_install()
    {
        _app.WriteFile("package.json", """
            { "egg": { "typescript": true }, "scripts": { "tsc": "ets && tsc -p tsconfig.json", "build": "vite build" }, "dependencies": { "egg": "3" } }
            """);
        _app.WriteFile("app/router.ts", "export default () => {};");

        var plan = Detect();

        Assert.Equal(["npm install", "npm run tsc"], plan.Steps.Select(s => s.Name));
        Assert.True(plan.Steps[1].Inputs.AllSources);
        Assert.Equal(["node", "/opt/ferry/node/egg-launcher.cjs"], plan.Command);
    }

    [Fact]
    public void A_typescript_router_without_a_compile_script_or_compiled_javascript_is_an_error_naming_the_scripts()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "egg": "3" } }""");
        _app.WriteFile("app/router.ts", "export default () => {};");

        var error = Assert.Throws<FrameworkException>(Detect);

        Assert.Contains("package.json: a TypeScript egg app", error.Message);
        Assert.Contains("needs a \"tsc\" script", error.Message);
    }

    [Fact]
    public void A_typescript_egg_app_compiled_before_the_deploy_only_installs()
    {
        _app.WriteFile("package.json", """{ "egg": { "typescript": true }, "dependencies": { "egg": "3" } }""");
        _app.WriteFile("app/router.ts", "export default () => {};");
        _app.WriteFile("app/router.js", "module.exports = () => {};");

        Assert.Equal(["npm install"], Detect().Steps.Select(s => s.Name));
    }

    [Fact]
    public void A_package_json_without_egg_is_not_an_egg_app()
    {
        _app.WriteFile("package.json", """{ "egg": { "typescript": false }, "dependencies": { "koa": "2" } }""");
        _app.WriteFile("app.js", "");

        Assert.Equal("koa", Detect().Preset.Name);
    }
}
