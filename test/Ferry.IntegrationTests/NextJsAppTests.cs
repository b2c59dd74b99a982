using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// samples/web-next deployed unchanged: <c>ferry deploy</c> runs <c>npm ci</c> and <c>next build</c> on this machine
/// (the slowest build of the suite: see bench/README.md), the sandbox runs <c>next start</c>, and the server-rendered
/// page, the API route and the public/ file answer under <c>/{service}/{stage}</c> and at <c>/</c> of a custom domain,
/// where Next's own <c>/_next/</c> assets are served too.
/// </summary>
public sealed partial class NextJsAppTests : IAsyncLifetime
{
    /// <summary>No timing is asserted: <c>next build</c> took over 2 minutes on this 2-core machine under load.</summary>
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(20);

    private const string Host = "next.example.test";

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_next_app_is_built_and_its_page_api_route_and_public_file_answer_under_the_prefix_and_at_a_custom_host()
    {
        var app = Repo.Sample("web-next");
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework nextjs for function web (package.json depends on next)", deploy.Stderr);
        Assert.Contains("Build: npm run build", deploy.Stderr);

        // Under the prefix: the page is rendered per request (it prints the X-Forwarded-Prefix it was sent).
        var page = await _server.Http.GetStringAsync("/nextapp/dev/");
        Assert.Contains("Hello from Next.js", page);
        Assert.Contains("rendered at request time under <!-- -->/nextapp/dev", page);
        var api = await _server.Http.GetFromJsonAsync<JsonElement>("/nextapp/dev/api/hello?name=ferry");
        Assert.Equal(("nextjs", "Hello, ferry!"), (api.GetProperty("app").GetString(), api.GetProperty("greeting").GetString()));
        Assert.Equal("a static file from public/\n", await _server.Http.GetStringAsync("/nextapp/dev/ferry.txt"));

        // At / of a custom domain, where the page's /_next/ script URLs resolve as well.
        var add = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", Host, "--app", "nextapp", "--stage", "dev");
        Assert.True(add.ExitCode == 0, add.ToString());
        var (_, atHost) = await GetAtHostAsync("/");
        Assert.Contains("rendered at request time under <!-- -->/", atHost);
        Assert.DoesNotContain("/nextapp/dev", atHost);

        var script = NextScript().Match(atHost);
        Assert.True(script.Success, $"no /_next/static script in the page:\n{atHost}");
        var (contentType, chunk) = await GetAtHostAsync(script.Groups[1].Value);
        Assert.Contains("javascript", contentType);
        Assert.False(string.IsNullOrWhiteSpace(chunk));

        var (_, hello) = await GetAtHostAsync("/api/hello?name=host");
        Assert.Equal("Hello, host!", JsonDocument.Parse(hello).RootElement.GetProperty("greeting").GetString());
        Assert.Equal("a static file from public/\n", (await GetAtHostAsync("/ferry.txt")).Body);
    }

    private async Task<(string? ContentType, string Body)> GetAtHostAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = Host;
        using var response = await _server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{Host}{path}: {(int)response.StatusCode} {body}");
        return (response.Content.Headers.ContentType?.MediaType, body);
    }

    [GeneratedRegex("src=\"(/_next/static/[^\"]+\\.js)\"")]
    private static partial Regex NextScript();
}
