using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// Framework apps deployed unchanged: <c>ferry deploy</c> detects (or is told) the framework, builds on this machine,
/// and the server runs the preset's command in the sandbox; each app answers under its path prefix.
/// </summary>
public sealed class FrameworkPresetTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>npm ci and a TypeScript build on a loaded machine take minutes: no timing is asserted, the wait is generous.</summary>
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(15);

    private async Task<CliResult> DeployAsync(string folder)
    {
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, folder, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        return deploy;
    }

    [Fact]
    public async Task An_express_app_that_only_exports_itself_is_detected_built_and_started_on_port()
    {
        var first = await DeployAsync(Repo.Sample("web-express"));
        Assert.Contains("Framework express for function web (package.json depends on express)", first.Stderr);
        Assert.Contains("Build: npm ci", first.Stderr);

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/expressapp/dev/");
        Assert.Equal("express", index.GetProperty("app").GetString());
        Assert.Equal("/expressapp/dev", index.GetProperty("prefix").GetString());

        var user = await _server.Http.GetFromJsonAsync<JsonElement>("/expressapp/dev/users/42?q=boat");
        Assert.Equal("42", user.GetProperty("id").GetString());
        Assert.Equal("boat", user.GetProperty("q").GetString());

        var echo = await _server.Http.PostAsJsonAsync("/expressapp/dev/echo", new { cargo = "tea" });
        Assert.Equal(HttpStatusCode.Created, echo.StatusCode);
        Assert.Equal("tea", (await echo.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("received").GetProperty("cargo").GetString());

        // The lock file did not change, so the second deploy does not reinstall.
        var second = await DeployAsync(Repo.Sample("web-express"));
        Assert.Contains("Build: npm ci skipped (package-lock.json unchanged)", second.Stderr);
    }

    [Fact]
    public async Task A_nest_app_is_built_with_its_build_script_and_its_routes_answer_under_the_prefix_and_at_a_custom_host()
    {
        var deploy = await DeployAsync(Repo.Sample("web-nest"));
        Assert.Contains("Framework nest for function web (package.json depends on @nestjs/core)", deploy.Stderr);
        Assert.Contains("Build: npm run build", deploy.Stderr);

        // Under /{service}/{stage}: Nest routes its own paths; the prefix arrives as X-Forwarded-Prefix.
        Assert.Equal("Hello from Nest under /nestapp/dev", await _server.Http.GetStringAsync("/nestapp/dev/"));
        var boat = await _server.Http.GetFromJsonAsync<JsonElement>("/nestapp/dev/boats/2?q=oar");
        Assert.Equal((2, "Kon-Tiki", "oar", "/boats/2", "/nestapp/dev"), (boat.GetProperty("id").GetInt32(), boat.GetProperty("name").GetString(),
            boat.GetProperty("q").GetString(), boat.GetProperty("path").GetString(), boat.GetProperty("prefix").GetString()));
        var boats = await _server.Http.GetFromJsonAsync<JsonElement>("/nestapp/dev/boats");
        Assert.Contains("Ark", boats.EnumerateArray().Select(b => b.GetProperty("name").GetString()));

        var added = await _server.Http.PostAsJsonAsync("/nestapp/dev/boats", new { name = "Tea clipper" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("Tea clipper", (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        // Nest's own errors: ParseIntPipe's 400 and the service's NotFoundException.
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Http.GetAsync("/nestapp/dev/boats/abc")).StatusCode);
        var missing = await _server.Http.GetAsync("/nestapp/dev/boats/99");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("boat 99 not found", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());

        // At / of a custom domain the same app sees the same paths, with no prefix.
        var add = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-nest"), "domain", "add", "nest.example.test", "--app", "nestapp", "--stage", "dev");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("Hello from Nest under /", (await _server.Http.GetAtHostAsync("nest.example.test", "/")).Body);
        var atHost = JsonDocument.Parse((await _server.Http.GetAtHostAsync("nest.example.test", "/boats/1")).Body).RootElement;
        Assert.Equal(("Ark", "/boats/1", JsonValueKind.Null), (atHost.GetProperty("name").GetString(), atHost.GetProperty("path").GetString(),
            atHost.GetProperty("prefix").ValueKind));
    }

    [Fact]
    public async Task A_koa_app_named_by_framework_listens_by_itself_on_port()
    {
        var deploy = await DeployAsync(Repo.Sample("web-koa"));
        Assert.Contains("Framework koa for function web (framework: koa)", deploy.Stderr);

        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/koaapp/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("greeting").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/koaapp/dev/nothing-here")).StatusCode);
    }

    [Fact]
    public async Task A_django_project_runs_under_gunicorn_and_reverses_urls_under_the_path_prefix()
    {
        var deploy = await DeployAsync(Repo.Sample("web-django"));
        Assert.Contains("Framework django for function web (manage.py sets DJANGO_SETTINGS_MODULE)", deploy.Stderr);

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/djangoapp/dev/");
        Assert.Equal("django", index.GetProperty("app").GetString());
        Assert.Equal("/djangoapp/dev/items/7", index.GetProperty("item_url").GetString());

        var item = await _server.Http.GetFromJsonAsync<JsonElement>("/djangoapp/dev/items/7?q=oar");
        Assert.Equal(7, item.GetProperty("id").GetInt32());
        Assert.Equal("oar", item.GetProperty("q").GetString());
    }

    [Fact]
    public async Task A_flask_app_is_detected_and_its_url_for_includes_the_prefix_the_gateway_sets()
    {
        var app = TestApp.Create("""
            service: flaskdetect
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                events:
                  - httpApi: '*'
            """, ("requirements.txt", "flask\n"), ("app.py", """
            from flask import Flask, jsonify, url_for

            app = Flask(__name__)


            @app.get("/")
            def index():
                return jsonify(link=url_for("boat", name="ark"))


            @app.get("/boats/<name>")
            def boat(name):
                return jsonify(boat=name)
            """));
        var deploy = await DeployAsync(app);
        Assert.Contains("Framework flask for function web (requirements.txt lists flask)", deploy.Stderr);

        // A client's own X-Forwarded-Prefix is replaced by the gateway's.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/flaskdetect/dev/");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        var index = await (await _server.Http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/flaskdetect/dev/boats/ark", index.GetProperty("link").GetString());

        var boat = await _server.Http.GetFromJsonAsync<JsonElement>("/flaskdetect/dev/boats/ark");
        Assert.Equal("ark", boat.GetProperty("boat").GetString());
    }

    [Fact]
    public async Task A_plain_php_front_controller_is_served_by_php_and_static_files_as_they_are()
    {
        var deploy = await DeployAsync(Repo.Sample("web-php"));
        Assert.Contains("Framework php for function web (framework: php)", deploy.Stderr);

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/phpapp/dev/");
        Assert.Equal("php", index.GetProperty("app").GetString());
        Assert.Equal("/phpapp/dev", index.GetProperty("prefix").GetString());

        var note = await _server.Http.GetFromJsonAsync<JsonElement>("/phpapp/dev/notes/12");
        Assert.Equal(12, note.GetProperty("note").GetInt32());

        Assert.StartsWith("User-agent: *", await _server.Http.GetStringAsync("/phpapp/dev/robots.txt"));

        var missing = await _server.Http.GetAsync("/phpapp/dev/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("/nowhere", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_laravel_app_without_vendor_runs_on_debians_laravel_and_its_urls_are_the_public_ones()
    {
        Assert.True(File.Exists("/usr/share/php/Illuminate/autoload.php"), "Debian's Laravel is missing: run scripts/setup.sh (apt-get install php-laravel-framework)");
        var app = AppCopy.Of(Repo.Sample("web-laravel"));

        var first = await DeployAsync(app);
        Assert.Contains("Framework laravel for function web (composer.json requires laravel/framework)", first.Stderr);
        Assert.Contains("Build: vendor/autoload.php for Debian's Laravel 8.", first.Stderr);
        Assert.Contains("note: APP_KEY: none in .env", first.Stderr);
        Assert.Contains("Written by Ferry's laravel preset", await File.ReadAllTextAsync(Path.Combine(app, "vendor", "autoload.php")));

        // A Blade page under /{service}/{stage}: route() and asset() build the public URLs, prefix included.
        var page = await _server.Http.GetAsync("/laravelapp/dev/");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.IsSuccessStatusCode, html);
        Assert.Contains("<h1>Ferry harbour</h1>", html);
        Assert.Contains($"<p id=\"home\">{_server.BaseUrl}/laravelapp/dev</p>", html);
        Assert.Contains($"<a href=\"{_server.BaseUrl}/laravelapp/dev/api/boats/dinghy\">Dinghy</a>", html);
        Assert.Contains($"href=\"{_server.BaseUrl}/laravelapp/dev/app.css\"", html);
        Assert.Contains("Laravel 8.", html);

        // A JSON route of routes/api.php: Laravel routes on its own path and reports the prefix as its base URL.
        var boat = await _server.Http.GetFromJsonAsync<JsonElement>("/laravelapp/dev/api/boats/ark?q=oar");
        Assert.Equal("ark", boat.GetProperty("boat").GetString());
        Assert.Equal("oar", boat.GetProperty("q").GetString());
        Assert.Equal("api/boats/ark", boat.GetProperty("path").GetString());
        Assert.Equal("/laravelapp/dev", boat.GetProperty("base").GetString());
        Assert.Equal($"{_server.BaseUrl}/laravelapp/dev/api/boats/ark", boat.GetProperty("url").GetString());
        Assert.StartsWith("8.", boat.GetProperty("laravel").GetString());
        Assert.Equal("Ferry harbour", (await _server.Http.GetFromJsonAsync<JsonElement>("/laravelapp/dev/api/ping")).GetProperty("harbour").GetString());

        Assert.StartsWith("User-agent: *", await _server.Http.GetStringAsync("/laravelapp/dev/robots.txt"));
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/laravelapp/dev/nowhere")).StatusCode);

        // Through a custom domain at its root there is no prefix, and the links name that host.
        var domain = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", "harbour.example.test", "--app", "laravelapp", "--stage", "dev");
        Assert.True(domain.ExitCode == 0, domain.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/boats/junk");
        request.Headers.Host = "harbour.example.test";
        using var response = await _server.Http.SendAsync(request);
        var junk = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("http://harbour.example.test/api/boats/junk", junk.GetProperty("url").GetString());
        Assert.Equal("", junk.GetProperty("base").GetString());

        // composer.json did not change: the generated autoloader is kept and nothing is redeployed.
        var second = await DeployAsync(app);
        Assert.Contains("skipped (composer.json unchanged)", second.Stderr);
        Assert.Contains("Unchanged: laravelapp", second.Stdout);
    }

    [Fact]
    public async Task A_web_function_with_nothing_to_detect_fails_the_deploy_saying_what_was_looked_for()
    {
        var app = TestApp.Create("""
            service: nothing
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                events:
                  - httpApi: '*'
            """, ("README.md", "no app here"));

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");

        Assert.Equal(1, deploy.ExitCode);
        Assert.Contains("functions.web: no framework detected", deploy.Stderr);
        Assert.Contains("django: `manage.py`", deploy.Stderr);
    }
}
