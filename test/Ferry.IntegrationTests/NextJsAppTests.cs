using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// samples/web-next deployed unchanged: <c>ferry deploy</c> runs <c>npm ci</c> and <c>next build</c> on this machine
/// (the slowest build of the suite: see bench/README.md) under Ferry's placeholder base path, the sandbox runs
/// <c>next start</c> under Ferry's Next launcher, and the server-rendered page, the API route, the public/ file and
/// Next's <c>/_next/</c> assets answer under <c>/{service}/{stage}</c>, at <c>/</c> of a custom domain and under a custom
/// domain's path prefix, each page's links and assets under the prefix it was requested through; headless Chromium
/// (framework-e2e/next-hydration.test.mjs) checks that the page hydrates and navigates on the client at all three.
/// </summary>
public sealed partial class NextJsAppTests : IAsyncLifetime
{
    /// <summary>No timing is asserted: <c>next build</c> took over 2 minutes on this 2-core machine under load.</summary>
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(20);


    private const string Host = "next.example.test";

    /// <summary>Bound with <c>--path-prefix /shop</c>: only <c>/shop/…</c> of this host reaches the app.</summary>
    private const string ShopHost = "www.next.example.test";

    /// <summary>next-adapter.mjs's placeholder base path, which no response may show.</summary>
    private const string Placeholder = "__ferry_base_path__";

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_next_app_is_built_and_its_page_api_route_and_assets_work_under_the_prefix_at_a_custom_host_and_under_its_path_prefix()
    {
        var app = Repo.Sample("web-next");
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework nextjs for function web (package.json depends on next)", deploy.Stderr);
        Assert.Contains("Build: npm run build", deploy.Stderr);

        // Under the prefix: the page is rendered per request (it prints the X-Forwarded-Prefix it was sent).
        await AssertAppAsync(_server.BaseUrl, host: null, "/nextapp/dev", "ferry");
        await AssertHydratesAsync($"{_server.BaseUrl}/nextapp/dev/", resolve: null);

        // At / of a custom domain: the same instance serves the page with its links and assets at the host's /.
        var add = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", Host, "--app", "nextapp", "--stage", "dev");
        Assert.True(add.ExitCode == 0, add.ToString());
        await AssertAppAsync(_server.BaseUrl, Host, "", "host");
        var port = new Uri(_server.BaseUrl).Port;
        await AssertHydratesAsync($"http://{Host}:{port}/", resolve: $"{Host} 127.0.0.1");

        // Under a custom domain's path prefix.
        var addShop = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", ShopHost, "--app", "nextapp", "--stage", "dev", "--path-prefix", "/shop");
        Assert.True(addShop.ExitCode == 0, addShop.ToString());
        await AssertAppAsync(_server.BaseUrl, ShopHost, "/shop", "shop");
        await AssertHydratesAsync($"http://{ShopHost}:{port}/shop/", resolve: $"{ShopHost} 127.0.0.1");

        // One instance, three prefixes, asked at once: each page is under the prefix it was requested through.
        (string? Host, string Prefix)[] ways = [(null, "/nextapp/dev"), (Host, ""), (ShopHost, "/shop")];
        var pages = await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(_ => ways.Select(way => _server.Http.GetAtHostAsync(way.Host, way.Prefix + "/about"))));
        for (var i = 0; i < pages.Length; i++)
        {
            AssertServedUnder(ways[i % ways.Length].Prefix, pages[i].Body);
        }
    }

    /// <summary>
    /// Through <paramref name="host"/> (null: the server's own address) under <paramref name="prefix"/> ("" for the host's
    /// /): the server-rendered page with everything in it under that prefix, its /_next/ scripts and stylesheet (with
    /// the client's base path), the API route, a public/ file, /about, and a redirect that stays under the prefix.
    /// </summary>
    private async Task AssertAppAsync(string baseUrl, string? host, string prefix, string name)
    {
        var page = await _server.Http.GetAtHostAsync(host, prefix + "/");
        Assert.Contains("Hello from Next.js", page.Body);
        Assert.Contains($"rendered at request time under <!-- -->{(prefix.Length == 0 ? "/" : prefix)}", page.Body);
        AssertServedUnder(prefix, page.Body);

        var scripts = NextScript().Matches(page.Body).Select(match => match.Groups[1].Value).ToList();
        Assert.True(scripts.Count > 0, $"no /_next/static script in the page:\n{page.Body}");
        var chunks = await Task.WhenAll(scripts.Select(script =>
        {
            Assert.StartsWith(prefix + "/_next/static/", script);
            return _server.Http.GetAtHostAsync(host, script);
        }));
        Assert.All(chunks, chunk => Assert.Contains("javascript", chunk.ContentType));
        Assert.All(chunks, chunk => Assert.DoesNotContain(Placeholder, chunk.Body));
        // Next's client runtime carries the base path it navigates under.
        Assert.Contains(chunks, chunk => chunk.Body.Contains($"\"{prefix}/_next/\"", StringComparison.Ordinal));

        // A client that accepts gzip gets the same rewritten chunk gzipped (by the launcher: Next's own compression
        // would hide the placeholder).
        using (var gzipRequest = new HttpRequestMessage(HttpMethod.Get, scripts[0]))
        {
            if (host is not null)
            {
                gzipRequest.Headers.Host = host;
            }

            gzipRequest.Headers.AcceptEncoding.ParseAdd("gzip");
            using var gzipped = await _server.Http.SendAsync(gzipRequest);
            Assert.Equal("gzip", Assert.Single(gzipped.Content.Headers.ContentEncoding));
            await using var unzip = new GZipStream(await gzipped.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
            Assert.Equal(chunks[0].Body, await new StreamReader(unzip).ReadToEndAsync());
        }

        var stylesheet = Stylesheet().Match(page.Body);
        Assert.True(stylesheet.Success, $"no stylesheet in the page:\n{page.Body}");
        Assert.Contains("#1f4e79", (await _server.Http.GetAtHostAsync(host, stylesheet.Groups[1].Value)).Body);

        var api = JsonDocument.Parse((await _server.Http.GetAtHostAsync(host, $"{prefix}/api/hello?name={name}")).Body).RootElement;
        Assert.Equal(("nextjs", $"Hello, {name}!"), (api.GetProperty("app").GetString(), api.GetProperty("greeting").GetString()));
        Assert.Equal("a static file from public/\n", (await _server.Http.GetAtHostAsync(host, prefix + "/ferry.txt")).Body);
        var about = (await _server.Http.GetAtHostAsync(host, prefix + "/about")).Body;
        AssertServedUnder(prefix, about);

        // next/image: a public/ file (src="/logo.png", without the base path Next expects) and a static import, both
        // through the image optimizer under the prefix.
        var images = NextImage().Matches(about).Select(match => WebUtility.HtmlDecode(match.Groups[1].Value)).ToList();
        Assert.Equal(2, images.Count);
        foreach (var image in images)
        {
            Assert.StartsWith(prefix + "/_next/image?url=", image);
            Assert.Equal("image/png", (await _server.Http.GetBytesAtHostAsync(host, image)).ContentType);
        }

        // Next redirects a trailing slash away; the redirect stays under the prefix.
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, prefix + "/about/");
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var redirect = await noRedirects.SendAsync(request);
        Assert.Equal(308, (int)redirect.StatusCode);
        Assert.Equal(prefix + "/about", redirect.Headers.Location?.OriginalString);
    }

    /// <summary>The page's links and Next assets are under <paramref name="prefix"/>, and neither another prefix nor the placeholder shows.</summary>
    private static void AssertServedUnder(string prefix, string page)
    {
        Assert.Contains($"href=\"{prefix}/_next/static/", page);
        Assert.Contains(page.Contains("id=\"about\"", StringComparison.Ordinal) ? $"href=\"{(prefix.Length == 0 ? "/" : prefix)}\"" : $"href=\"{prefix}/about\"", page);
        Assert.DoesNotContain(Placeholder, page);
        foreach (var other in new[] { "/nextapp/dev/", "/shop/" }.Where(p => p != $"{prefix}/"))
        {
            Assert.DoesNotContain($"\"{other}", page);
        }
    }

    /// <summary>Runs framework-e2e/next-hydration.test.mjs against <paramref name="url"/> in headless Chromium.</summary>
    private static async Task AssertHydratesAsync(string url, string? resolve)
    {
        var output = await BrowserTestFolder.Frameworks.RunPageScriptAsync("next-hydration.test.mjs", url, resolve);
        Assert.Contains("ok   the counter reacts to clicks", output);
        Assert.Contains("ok   a Link navigates on the client", output);
        Assert.Contains("ok   its next/image images load", output);
        Assert.Contains("ok   no request failed and no script threw", output);
        Assert.Contains("ok   every request stayed under", output);
    }

    [GeneratedRegex("<script src=\"([^\"]*/_next/static/[^\"]+\\.js)\"")]
    private static partial Regex NextScript();

    [GeneratedRegex("<img [^>]*src=\"([^\"]*/_next/image\\?[^\"]+)\"")]
    private static partial Regex NextImage();

    [GeneratedRegex("<link rel=\"stylesheet\" href=\"([^\"]+\\.css)\"")]
    private static partial Regex Stylesheet();
}
