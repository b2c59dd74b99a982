using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>Which preset an app folder gets, and the start command and build steps it plans.</summary>
public sealed class FrameworkCatalogTests : IDisposable
{
    private readonly TempDirectory _app = new();

    public void Dispose() => _app.Dispose();

    private FrameworkPlan Detect() => FrameworkCatalog.Plan(null, new ProjectFiles(_app.Path));

    [Fact]
    public void An_express_app_exported_from_its_main_file_runs_under_the_launcher_after_npm_ci()
    {
        _app.WriteFile("package.json", """{ "main": "sls.js", "dependencies": { "express": "^5.1.0" } }""");
        _app.WriteFile("package-lock.json", "{}");
        _app.WriteFile("sls.js", "module.exports = require('express')();");

        var plan = Detect();

        Assert.Equal("express", plan.Preset.Name);
        Assert.Equal("package.json depends on express", plan.Reason);
        Assert.Equal(["node", "/opt/ferry/node/web-launcher.cjs", "sls.js"], plan.Command);
        var install = Assert.Single(plan.Steps);
        Assert.Equal(["npm", "ci", "--no-audit", "--no-fund"], install.Command);
        Assert.Equal(["package-lock.json"], install.Inputs.Files);
    }

    [Fact]
    public void A_koa_entry_file_comes_from_the_start_script_and_npm_install_runs_without_a_lock_file()
    {
        _app.WriteFile("package.json", """{ "scripts": { "start": "node --enable-source-maps ./src/server.js" }, "dependencies": { "koa": "2" } }""");
        _app.WriteFile("src/server.js", "");
        _app.WriteFile("app.js", "");

        var plan = Detect();

        Assert.Equal("koa", plan.Preset.Name);
        Assert.Equal("src/server.js", plan.Command[^1]);
        Assert.Equal("npm install", Assert.Single(plan.Steps).Name);
    }

    [Fact]
    public void Without_main_or_start_script_the_usual_entry_files_are_tried_in_order()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "express": "4" } }""");
        _app.WriteFile("index.js", "");
        _app.WriteFile("app.js", "");

        Assert.Equal("app.js", Detect().Command[^1]);
    }

    [Fact]
    public void A_node_app_without_an_entry_file_is_an_error_saying_what_was_looked_for()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "express": "4" } }""");

        var error = Assert.Throws<FrameworkException>(Detect);

        Assert.Contains("set \"main\" in package.json, or add one of sls.js, app.js, index.js", error.Message);
    }

    [Fact]
    public void Next_wins_over_express_and_builds_before_starting()
    {
        _app.WriteFile("package.json", """{ "scripts": { "build": "next build" }, "dependencies": { "next": "15", "express": "5" } }""");

        var plan = Detect();

        Assert.Equal("nextjs", plan.Preset.Name);
        Assert.Equal(["npm install", "npm run build"], plan.Steps.Select(s => s.Name));
        Assert.Equal(".next", plan.Steps[1].Output);
        Assert.True(plan.Steps[1].Inputs.AllSources);
        Assert.Equal(["node", "/opt/ferry/node/next-launcher.cjs", "-H", "127.0.0.1"], plan.Command);
        Assert.Contains(plan.Notes, note => note.Contains("placeholder base path", StringComparison.Ordinal));
        Assert.Contains("!node_modules/@next/swc-*/**", plan.PackageExcludes);

        // next build loads Ferry's adapter from the app's .ferry/ folder: the same file next start loads in the sandbox.
        var build = plan.Steps[1];
        Assert.Equal("{ferry}/next-adapter.mjs", build.Environment["NEXT_ADAPTER_PATH"]);
        var adapter = Assert.Single(build.SupportFiles);
        Assert.Equal("next-adapter.mjs", adapter.Key);
        Assert.Equal(File.ReadAllText(SourceFile("src/Ferry.Runtime/Bootstrap/node/next-adapter.mjs")), adapter.Value);
    }

    [Fact]
    public void A_nuxt_app_is_built_to_output_and_started_by_the_nuxt_launcher_without_its_node_modules()
    {
        _app.WriteFile("package.json", """{ "scripts": { "build": "nuxt build" }, "dependencies": { "nuxt": "4.4.5", "vue": "3" } }""");
        _app.WriteFile("package-lock.json", "{}");

        var plan = Detect();

        Assert.Equal("nuxt", plan.Preset.Name);
        Assert.Equal("package.json depends on nuxt", plan.Reason);
        Assert.Equal(["node", "/opt/ferry/node/nuxt-launcher.mjs", ".output/server/index.mjs"], plan.Command);
        Assert.Equal(["npm ci", "npm run build"], plan.Steps.Select(s => s.Name));
        Assert.Equal(".output", plan.Steps[1].Output);
        Assert.True(plan.Steps[1].Inputs.AllSources);
        Assert.Equal("production", plan.Environment["NODE_ENV"]);
        Assert.Equal(["!node_modules/**", "!.nuxt/**"], plan.PackageExcludes);
        Assert.Contains(plan.Notes, note => note.Contains("NUXT_APP_BASE_URL", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_build_script_nuxt_is_built_with_its_own_cli()
    {
        _app.WriteFile("package.json", """{ "dependencies": { "nuxt": "^4.4.0" } }""");

        var plan = FrameworkCatalog.Plan("nuxt", new ProjectFiles(_app.Path));

        Assert.Equal("framework: nuxt", plan.Reason);
        Assert.Equal(["node", "node_modules/nuxt/bin/nuxt.mjs", "build"], plan.Steps[^1].Command);
    }

    [Fact]
    public void A_flask_app_is_found_by_its_assignment_and_served_by_gunicorn()
    {
        _app.WriteFile("requirements.txt", "# web\nFlask[async]==2.2.2\n");
        _app.WriteFile("wsgi.py", "import flask\napplication = flask.Flask(__name__)\n");

        var plan = Detect();

        Assert.Equal("flask", plan.Preset.Name);
        Assert.Equal("requirements.txt lists flask", plan.Reason);
        Assert.Equal(["python3", "/opt/ferry/python/wsgi_server.py", "wsgi:application"], plan.Command);
        Assert.Empty(plan.Steps);
        Assert.Contains(plan.Notes, note => note.Contains("requirements.txt is not installed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_django_project_gets_its_settings_module_from_manage_py()
    {
        _app.WriteFile("manage.py", "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.config.settings')\n");
        _app.WriteFile("shop/config/wsgi.py", "");

        var plan = Detect();

        Assert.Equal("django", plan.Preset.Name);
        Assert.Equal("shop.config.wsgi:application", plan.Command[^1]);
        Assert.Equal("shop.config.settings", plan.Environment["DJANGO_SETTINGS_MODULE"]);
        Assert.Contains(plan.Notes, note => note.Contains("ALLOWED_HOSTS", StringComparison.Ordinal));
    }

    [Fact]
    public void A_django_project_without_its_wsgi_module_is_an_error_naming_the_file()
    {
        _app.WriteFile("manage.py", "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"mysite.settings\")\n");

        var error = Assert.Throws<FrameworkException>(Detect);

        Assert.StartsWith("mysite/wsgi.py is missing", error.Message);
    }

    [Fact]
    public void Laravel_installs_composer_packages_only_when_vendor_is_missing()
    {
        _app.WriteFile("composer.json", """{ "require": { "php": "^8.2", "laravel/framework": "^11.0" } }""");
        _app.WriteFile("public/index.php", "<?php");

        Assert.Equal("laravel", Detect().Preset.Name);
        // Without Debian's Laravel on the machine there is nothing to fall back on.
        var plan = new LaravelPreset(_app.Combine("no-system-php")).Plan(new ProjectFiles(_app.Path), "test");

        var install = Assert.Single(plan.Steps);
        Assert.Null(install.Fallback);
        Assert.True(install.OnlyWhenOutputMissing);
        Assert.Equal("vendor", install.Output);
        Assert.Contains("apt-get install composer", install.MissingToolHint);
        Assert.Equal(["sh", "-c", "exec php -S \"$HOST:$PORT\" -t public /opt/ferry/php/router.php"], plan.Command);
    }

    [Fact]
    public void A_named_framework_is_planned_without_detection()
    {
        _app.WriteFile("index.php", "<?php");

        var plan = FrameworkCatalog.Plan("php", new ProjectFiles(_app.Path));

        Assert.Equal("framework: php", plan.Reason);
        Assert.Contains("-t . /opt/ferry/php/router.php", plan.Command[^1]);
    }

    [Fact]
    public void A_folder_with_no_known_framework_is_an_error_listing_what_is_detected()
    {
        _app.WriteFile("README.md", "hello");

        var error = Assert.Throws<FrameworkException>(Detect);

        Assert.Contains("no framework detected", error.Message);
        Assert.Contains("express: package.json dependency `express`", error.Message);
        Assert.Contains("give the web function a 'command'", error.Message);
    }

    [Fact]
    public void Malformed_package_json_is_an_error_naming_the_file_and_line()
    {
        _app.WriteFile("package.json", "{\n  \"dependencies\": {\n    \"express\": \n}\n");

        var error = Assert.Throws<FrameworkException>(Detect);

        Assert.StartsWith("package.json is not valid JSON (line 4)", error.Message);
    }

    /// <summary>A file of this repository, found from the test's output folder upwards.</summary>
    private static string SourceFile(string relativePath)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Ferry.slnx")))
            {
                return Path.Combine(folder.FullName, relativePath);
            }
        }

        throw new FileNotFoundException($"no Ferry.slnx above {AppContext.BaseDirectory}");
    }
}
