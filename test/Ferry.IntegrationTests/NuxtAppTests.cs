using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// samples/web-nuxt deployed unchanged: <c>ferry deploy</c> runs <c>npm ci</c> and <c>nuxt build</c> on this machine,
/// the sandbox runs <c>.output/server/index.mjs</c> under Ferry's Nuxt launcher, and the server-rendered page, the
/// server/api route, the public/ file and Nuxt's <c>/_nuxt/</c> assets answer under <c>/{service}/{stage}/</c>, at
/// <c>/</c> of a custom domain and under a custom domain's path prefix, each page's links and assets pointing under the
/// prefix it was requested through; headless Chromium (framework-e2e/nuxt-hydration.test.mjs) checks that the page hydrates at all three.
/// </summary>
public sealed partial class NuxtAppTests : IAsyncLifetime
{
    /// <summary>No timing is asserted: <c>npm ci</c> and <c>nuxt build</c> share this 2-core machine with other work.</summary>
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(20);


    private const string Host = "nuxt.example.test";

    /// <summary>Bound with <c>--path-prefix /shop</c>: only <c>/shop/…</c> of this host reaches the app.</summary>
    private const string ShopHost = "www.nuxt.example.test";

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_nuxt_app_is_built_and_its_page_api_route_and_assets_work_under_the_prefix_at_a_custom_host_and_under_its_path_prefix()
    {
        var app = Repo.Sample("web-nuxt");
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework nuxt for function web (package.json depends on nuxt)", deploy.Stderr);
        Assert.Contains("Build: npm run build", deploy.Stderr);

        // Under the prefix: rendered per request with the API route's data, links and assets under the prefix.
        var page = await _server.Http.GetStringAsync("/nuxtapp/dev/");
        Assert.Contains("Hello, nuxt!", page);
        Assert.Contains("rendered on the server under /nuxtapp/dev at", page);
        Assert.Contains("href=\"/nuxtapp/dev/about\"", page);
        Assert.Contains("src=\"/nuxtapp/dev/ferry.svg\"", page);
        AssertServedUnder("/nuxtapp/dev", page);
        var script = NuxtScript().Match(page);
        Assert.True(script.Success, $"no /_nuxt/ entry script in the page:\n{page}");
        Assert.StartsWith("/nuxtapp/dev/_nuxt/", script.Groups[1].Value);
        using (var chunk = await _server.Http.GetAsync(script.Groups[1].Value))
        {
            Assert.True(chunk.IsSuccessStatusCode, $"{script.Groups[1].Value}: {(int)chunk.StatusCode}");
            Assert.Contains("javascript", chunk.Content.Headers.ContentType?.MediaType);
        }

        var api = await _server.Http.GetFromJsonAsync<JsonElement>("/nuxtapp/dev/api/hello?name=ferry");
        Assert.Equal(("nuxt", "Hello, ferry!"), (api.GetProperty("app").GetString(), api.GetProperty("greeting").GetString()));
        Assert.Equal("a static file from public/\n", await _server.Http.GetStringAsync("/nuxtapp/dev/ferry.txt"));
        Assert.Contains("<h1 id=\"about\">", await _server.Http.GetStringAsync("/nuxtapp/dev/about"));

        await AssertHydratesAsync($"{_server.BaseUrl}/nuxtapp/dev/", resolve: null);

        // At / of a custom domain: the same instance renders the page with its links and assets at the host's /.
        var add = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", Host, "--app", "nuxtapp", "--stage", "dev");
        Assert.True(add.ExitCode == 0, add.ToString());
        await AssertAppAtHostAsync(Host, "", "host");
        // Links of pages rendered before custom domains were served at their own / keep working.
        Assert.Equal("a static file from public/\n", (await GetAtHostAsync(Host, "/nuxtapp/dev/ferry.txt")).Body);

        var port = new Uri(_server.BaseUrl).Port;
        await AssertHydratesAsync($"http://{Host}:{port}/", resolve: $"{Host} 127.0.0.1");

        // Under a custom domain's path prefix, the only part of that host that reaches the app: links and assets
        // point under /shop/.
        var addShop = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", ShopHost, "--app", "nuxtapp", "--stage", "dev", "--path-prefix", "/shop");
        Assert.True(addShop.ExitCode == 0, addShop.ToString());
        await AssertAppAtHostAsync(ShopHost, "/shop", "shop");
        await AssertHydratesAsync($"http://{ShopHost}:{port}/shop/", resolve: $"{ShopHost} 127.0.0.1");

        // One instance, three prefixes, asked at once: each page names the prefix it was requested through.
        string[] prefixes = ["/nuxtapp/dev", "", "/shop"];
        var pages = await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(_ => new[]
        {
            _server.Http.GetStringAsync("/nuxtapp/dev/about"),
            GetBodyAtHostAsync(Host, "/about"),
            GetBodyAtHostAsync(ShopHost, "/shop/about"),
        }));
        for (var i = 0; i < pages.Length; i++)
        {
            AssertServedUnder(prefixes[i % prefixes.Length], pages[i]);
        }
    }

    /// <summary>
    /// Through <paramref name="host"/> under <paramref name="prefix"/> ("" for the host's /): the server-rendered page with
    /// everything in it under that prefix, its /_nuxt/ entry script, the server/api route, a public/ file and /about.
    /// </summary>
    private async Task AssertAppAtHostAsync(string host, string prefix, string name)
    {
        var page = await GetAtHostAsync(host, prefix + "/");
        Assert.Contains("Hello, nuxt!", page.Body);
        Assert.Contains($"rendered on the server under {(prefix.Length == 0 ? "/" : prefix)} at", page.Body);
        AssertServedUnder(prefix, page.Body);
        var script = NuxtScript().Match(page.Body);
        Assert.True(script.Success, $"no /_nuxt/ entry script in the page:\n{page.Body}");
        Assert.StartsWith(prefix + "/_nuxt/", script.Groups[1].Value);
        Assert.Contains("javascript", (await GetAtHostAsync(host, script.Groups[1].Value)).ContentType);
        var api = JsonDocument.Parse((await GetAtHostAsync(host, $"{prefix}/api/hello?name={name}")).Body).RootElement;
        Assert.Equal($"Hello, {name}!", api.GetProperty("greeting").GetString());
        Assert.Equal("a static file from public/\n", (await GetAtHostAsync(host, prefix + "/ferry.txt")).Body);
        Assert.Contains("<h1 id=\"about\">", (await GetAtHostAsync(host, prefix + "/about")).Body);
    }

    /// <summary>The page's links, public/ image, Nuxt assets and client base URL are all under <paramref name="prefix"/>, and no other base shows.</summary>
    private static void AssertServedUnder(string prefix, string page)
    {
        Assert.Contains($"baseURL:\"{prefix}/\"", page);
        Assert.Contains($"href=\"{prefix}/_nuxt/", page);
        var isAbout = page.Contains("<h1 id=\"about\">");
        Assert.Contains(isAbout ? $"href=\"{prefix}/\"" : $"href=\"{prefix}/about\"", page);
        if (!isAbout)
        {
            Assert.Contains($"src=\"{prefix}/ferry.svg\"", page);
        }

        foreach (var other in new[] { "/nuxtapp/dev/", "/shop/" }.Where(p => p != $"{prefix}/"))
        {
            Assert.DoesNotContain($"\"{other}", page);
        }
    }

    private async Task<string> GetBodyAtHostAsync(string host, string path) => (await GetAtHostAsync(host, path)).Body;

    private Task<(string? ContentType, string Body)> GetAtHostAsync(string host, string path) => _server.Http.GetAtHostAsync(host, path);

    /// <summary>Runs framework-e2e/nuxt-hydration.test.mjs against <paramref name="url"/> in headless Chromium.</summary>
    private static async Task AssertHydratesAsync(string url, string? resolve)
    {
        var output = await BrowserTestFolder.Frameworks.RunPageScriptAsync("nuxt-hydration.test.mjs", url, resolve);
        Assert.Contains("ok   the counter reacts to clicks", output);
        Assert.Contains("ok   a NuxtLink navigates on the client", output);
        Assert.Contains("ok   no request failed and no script threw", output);
    }

    [GeneratedRegex("<script type=\"module\" src=\"([^\"]*/_nuxt/[^\"]+\\.js)\"")]
    private static partial Regex NuxtScript();
}
