using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>Apps created by <c>ferry init</c> deploy unchanged with the CLI and answer over HTTP.</summary>
public sealed class InitStarterTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_node_starter_deploys_and_its_hello_route_answers()
    {
        var app = await InitAsync("node", "init-node");

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy", "--output", "json");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var deployed = JsonSerializer.Deserialize<DeploymentResult>(deploy.Stdout, ApiJson.Options)!;
        Assert.Equal("init-node", deployed.Service);

        var body = await _server.Http.GetFromJsonAsync<JsonElement>(Assert.Single(deployed.Routes).Url + "?name=ferry");
        Assert.Equal("Hello, ferry!", body.GetProperty("message").GetString());
        Assert.Equal("init-node", body.GetProperty("service").GetString());
    }

    [Fact]
    public async Task The_flask_starter_deploys_and_answers_under_its_prefix()
    {
        var app = await InitAsync("flask", "init-flask");

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/init-flask/dev/");
        Assert.Equal("init-flask", index.GetProperty("app").GetString());
        Assert.Equal("flask", index.GetProperty("framework").GetString());
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-flask/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_express_starter_installs_its_dependencies_deploys_and_answers()
    {
        var app = await InitAsync("express", "init-express");

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/init-express/dev/");
        Assert.Equal("init-express", index.GetProperty("app").GetString());
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-express/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_nest_starter_installs_builds_deploys_and_answers()
    {
        var app = await InitAsync("nest", "init-nest");

        // npm install and tsc on a loaded machine take minutes: the wait is generous, nothing is timed.
        var deploy = await FerryCli.RunAsync(TimeSpan.FromMinutes(15), _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Build: npm run build", deploy.Stderr);

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/init-nest/dev/");
        Assert.Equal(("init-nest", "nest"), (index.GetProperty("app").GetString(), index.GetProperty("framework").GetString()));
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-nest/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_nuxt_starter_installs_builds_deploys_and_renders_its_page_under_the_prefix()
    {
        var app = await InitAsync("nuxt", "init-nuxt");

        // npm install and nuxt build on a loaded machine take minutes: the wait is generous, nothing is timed.
        var deploy = await FerryCli.RunAsync(TimeSpan.FromMinutes(15), _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework nuxt for function web (framework: nuxt)", deploy.Stderr);

        var page = await _server.Http.GetStringAsync("/init-nuxt/dev/");
        Assert.Contains("<h1>Hello, Ferry!</h1>", page);
        Assert.Contains("/init-nuxt/dev/_nuxt/", page);
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-nuxt/dev/api/hello?name=ferry");
        Assert.Equal(("init-nuxt", "Hello, ferry!"), (hello.GetProperty("app").GetString(), hello.GetProperty("greeting").GetString()));
        Assert.StartsWith("User-agent", await _server.Http.GetStringAsync("/init-nuxt/dev/robots.txt"));
    }

    [Fact]
    public async Task The_nextjs_starter_installs_builds_deploys_and_renders_its_page_with_links_and_assets_under_the_prefix()
    {
        var app = await InitAsync("nextjs", "init-next");

        // npm install and next build on a loaded machine take minutes: the wait is generous, nothing is timed.
        var deploy = await FerryCli.RunAsync(TimeSpan.FromMinutes(15), _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework nextjs for function web (framework: nextjs)", deploy.Stderr);

        var page = await _server.Http.GetStringAsync("/init-next/dev/");
        Assert.Contains("<h1>Hello, Ferry!</h1>", page);
        Assert.Contains("src=\"/init-next/dev/_next/static/", page);
        Assert.Contains("href=\"/init-next/dev/api/hello?name=ferry\"", page);
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-next/dev/api/hello?name=ferry");
        Assert.Equal(("init-next", "Hello, ferry!"), (hello.GetProperty("app").GetString(), hello.GetProperty("greeting").GetString()));
        Assert.StartsWith("User-agent", await _server.Http.GetStringAsync("/init-next/dev/robots.txt"));
    }

    [Fact]
    public async Task The_django_starter_deploys_and_reverses_its_urls_under_the_prefix()
    {
        var app = await InitAsync("django", "init-django");

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/init-django/dev/");
        Assert.Equal(("init-django", "django"), (index.GetProperty("app").GetString(), index.GetProperty("framework").GetString()));
        Assert.Equal("/init-django/dev/hello/world", index.GetProperty("hello_url").GetString());
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-django/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_laravel_starter_deploys_and_routes_its_urls_under_the_prefix()
    {
        var app = await InitAsync("laravel", "init-laravel");

        var deploy = await FerryCli.RunAsync(TimeSpan.FromMinutes(10), _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework laravel for function web (framework: laravel)", deploy.Stderr);

        var page = await _server.Http.GetStringAsync("/init-laravel/dev/");
        Assert.Contains("<h1>Hello, Ferry!</h1>", page);
        Assert.Contains("/init-laravel/dev/api/hello/ferry\"", page);
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-laravel/dev/api/hello/ferry");
        Assert.Equal(("init-laravel", "laravel", "Hello, ferry!"),
            (hello.GetProperty("app").GetString(), hello.GetProperty("framework").GetString(), hello.GetProperty("message").GetString()));
        Assert.EndsWith("/init-laravel/dev/api/hello/ferry", hello.GetProperty("url").GetString());
        Assert.StartsWith("User-agent", await _server.Http.GetStringAsync("/init-laravel/dev/robots.txt"));
    }

    /// <summary>Runs <c>ferry init STARTER</c> in a scratch folder; the service name is the new folder's name.</summary>
    private async Task<string> InitAsync(string starter, string name)
    {
        var parent = TempDirectory.Create("init");
        var init = await FerryCli.RunAsync(_server.BaseUrl, parent, "init", starter, "--dir", name);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains($"cd {name} && ferry deploy", init.Stdout, StringComparison.Ordinal);
        return Path.Combine(parent, name);
    }
}
