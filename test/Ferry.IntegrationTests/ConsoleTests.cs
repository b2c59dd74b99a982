using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Hub;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Server.WebConsole;

namespace Ferry.IntegrationTests;

/// <summary>
/// The web console: its files as the server serves them, the timeline endpoint behind its chart, and the whole
/// consumer / reviewer / provider journey driven in headless Chromium (console-e2e/console.test.mjs) against a real
/// server prepared over the REST API.
/// </summary>
public sealed partial class ConsoleTests : IAsyncLifetime
{
    private static readonly BrowserTestFolder E2e = new("console-e2e", "install");
    private const string Chromium = "/usr/bin/chromium";

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_console_is_served_without_a_token_under_a_strict_content_policy_with_every_module_it_imports()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_server.BaseUrl) };

        var bare = await anonymous.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/console/", bare.Headers.Location?.OriginalString);

        var index = await anonymous.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(" ", index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("type=\"module\" src=\"js/main.js\"", await index.Content.ReadAsStringAsync());

        // Every module reachable from main.js is served as JavaScript: nothing was left out of the embedded files.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(["js/main.js"]);
        while (pending.TryDequeue(out var module))
        {
            if (!seen.Add(module))
            {
                continue;
            }

            var response = await anonymous.GetAsync($"/console/{module}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"/console/{module}: {(int)response.StatusCode}");
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            foreach (Match import in ImportPattern().Matches(await response.Content.ReadAsStringAsync()))
            {
                pending.Enqueue(Resolve(module, import.Groups["path"].Value));
            }
        }

        Assert.Contains("js/api.js", seen);
        Assert.Contains("js/screens/deploy.js", seen);
        Assert.True(seen.Count >= 15, string.Join(", ", seen));

        // Unchanged files revalidate to 304 by entity tag; unknown ones are 404, not the app shell.
        var css = await anonymous.GetAsync("/console/console.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/console/console.css");
        conditional.Headers.IfNoneMatch.Add(css.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await anonymous.SendAsync(conditional)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/console/js/missing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/console/../ferry.db")).StatusCode);
    }

    [Fact]
    public async Task The_timeline_counts_the_app_stages_invocations_and_errors_and_other_tenants_get_404()
    {
        var owner = await TokenAsync("acme", "consumer");
        var stranger = await TokenAsync("globex", "consumer");
        var app = TestApp.Create("""
            service: clock
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              tick:
                handler: handler.main
                events:
                  - httpApi: 'GET /tick'
            """, ("handler.js", "exports.main = async (event) => { if (event.queryStringParameters?.fail) throw new Error('tock'); return { ok: true }; };"));
        var deploy = await FerryCli.RunAsAsync(owner, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        for (var i = 0; i < 5; i++)
        {
            (await _server.Http.GetAsync("/clock/dev/tick")).EnsureSuccessStatusCode();
        }

        for (var i = 0; i < 2; i++)
        {
            Assert.False((await _server.Http.GetAsync("/clock/dev/tick?fail=1")).IsSuccessStatusCode);
        }

        using var client = Client(owner);
        InvocationTimeline? timeline = null;
        for (var attempt = 0; attempt < 100 && timeline?.Buckets.Sum(b => b.Invocations) != 7; attempt++)
        {
            await Task.Delay(100);
            timeline = await client.GetFromJsonAsync<InvocationTimeline>("/api/v1/apps/clock/dev/timeline?buckets=12", ApiJson.Options);
        }

        Assert.NotNull(timeline);
        Assert.Equal(12, timeline.Buckets.Count);
        Assert.Equal(7, timeline.Buckets.Sum(b => b.Invocations));
        Assert.Equal(2, timeline.Buckets.Sum(b => b.Errors));
        Assert.Equal(1, timeline.Buckets.Sum(b => b.ColdStarts)); // one instance served all seven (errors do not end it)
        Assert.False(timeline.Truncated);
        Assert.Equal(2 * 3600, timeline.BucketSeconds);
        var busy = Assert.Single(timeline.Buckets, b => b.Invocations > 0);
        Assert.Same(timeline.Buckets[^1], busy);
        Assert.NotNull(busy.P50DurationMs);
        Assert.True(busy.P95DurationMs >= busy.P50DurationMs);
        Assert.All(timeline.Buckets.Where(b => b.Invocations == 0), b => Assert.Null(b.P50DurationMs));

        using var intruder = Client(stranger);
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.GetAsync("/api/v1/apps/clock/dev/timeline")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/apps/clock/dev/timeline?buckets=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/apps/clock/dev/timeline?since=yesterday")).StatusCode);
    }

    [Fact]
    public async Task Consumer_reviewer_and_provider_journeys_work_in_a_real_browser()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/setup.sh (it installs Debian's chromium)");
        await E2e.EnsureNodeModulesAsync();

        var provider = await TokenAsync("acme", "provider");
        var reviewer = await TokenAsync("review-board", "reviewer");
        var consumer = await TokenAsync("globex", "consumer");
        var otherConsumer = await TokenAsync("initech", "consumer");

        // The provider publishes 1.0.0 (approved here) and 1.1.0, which the script approves through the reviewer's screens.
        using var providerClient = Client(provider);
        using var reviewerClient = Client(reviewer);
        using var key = TemplateSigningKey.Generate();
        (await providerClient.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();
        await PublishAsync(providerClient, GreeterTemplate("1.0.0", withColor: false), key, "First release");
        (await reviewerClient.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.0.0/approve", new ReviewDecision("ok"), ApiJson.Options)).EnsureSuccessStatusCode();
        await PublishAsync(providerClient, GreeterTemplate("1.1.0", withColor: true), key, "Adds colour");
        // A second template, whose newer version was rejected, for the catalog and the provider's screen.
        await PublishAsync(providerClient, NotesTemplate("1.0.0"), key, "First release");
        (await reviewerClient.PostAsJsonAsync("/api/v1/templates/notes-api/versions/1.0.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();
        await PublishAsync(providerClient, NotesTemplate("1.1.0"), key, "Keeps notes longer");
        (await reviewerClient.PostAsJsonAsync("/api/v1/templates/notes-api/versions/1.1.0/reject",
            new ReviewDecision("Document how long notes are kept in the README."), ApiJson.Options)).EnsureSuccessStatusCode();

        // An app the consumer deploys with the CLI rather than installs from the catalog.
        var deployed = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, TestApp.Create(PlainAppManifest, ("handler.js", PlainAppCode)), "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        var screenshots = Environment.GetEnvironmentVariable("FERRY_CONSOLE_SCREENSHOTS") is { Length: > 0 } wanted
            ? Path.GetFullPath(wanted, Repo.Root)
            : TempDirectory.Create("console-screenshots");
        var (exitCode, output) = await E2e.RunNodeAsync("console.test.mjs", new Dictionary<string, string>
        {
            ["BASE_URL"] = _server.BaseUrl,
            ["CONSUMER_TOKEN"] = consumer,
            ["OTHER_TENANT_TOKEN"] = otherConsumer,
            ["REVIEWER_TOKEN"] = reviewer,
            ["PROVIDER_TOKEN"] = provider,
            ["SCREENSHOT_DIR"] = screenshots,
            ["DEPLOYED_APP"] = "plain/dev/local",
            ["CHROMIUM"] = Chromium,
        });
        Assert.True(exitCode == 0, $"console.test.mjs failed (exit {exitCode}):\n{output}");
        Assert.Contains("all console checks passed", output);
    }

    private const string PlainAppManifest = """
        service: plain
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          hello:
            handler: handler.hello
            events:
              - httpApi: GET /hello
        """;

    private const string PlainAppCode = "exports.hello = async () => ({ statusCode: 200, body: 'hi' });\n";

    /// <summary>
    /// A template with a required secret, an enum (a select in the form) and a README whose HTML must stay text.
    /// The handler logs each request's query string (the live tail waits for it) and fails on ?fail=1.
    /// </summary>
    private static string GreeterTemplate(string version, bool withColor) => TestApp.Create($$"""
        service: greeter
        template:
          name: greeter
          version: {{version}}
          description: A greeting API with a secret key
          readme: README.md
          author: Acme Labs
          license: MIT
          labels: [demo, http]
          parameters:
            - name: greeting
              description: What the API says first
              default: Hello
            - name: apiKey
              description: Key the API checks
              secret: true
              required: true
            - name: size
              type: enum
              allowedValues: [small, large]
              default: small
        {{(withColor ? "    - name: color\n      description: Colour of the greeting\n      default: blue\n" : "")}}
        provider:
          name: aws
          runtime: nodejs20.x
          environment:
            GREETING: ${param:greeting}
            API_KEY: ${param:apiKey}
            SIZE: ${param:size}
        {{(withColor ? "    COLOR: ${param:color}\n" : "")}}
        functions:
          api:
            handler: handler.main
            events:
              - httpApi: 'GET /'
        """,
        ("handler.js", $$"""
            exports.main = async (event) => {
              console.log('greeting request ' + (event.rawQueryString || '-'));
              if (event.queryStringParameters?.fail) throw new Error('boom: the greeting failed');
              return { version: '{{version}}', greeting: process.env.GREETING, size: process.env.SIZE, color: process.env.COLOR ?? null };
            };
            """),
        ("README.md", """
            # Greeter

            Says hello over HTTP. Deploy it, then call `GET /`:

            ```bash
            curl http://127.0.0.1:8080/greeter/dev/
            ```

            ## Parameters

            - **apiKey**: required, kept secret
            - **size**: `small` or `large`

            HTML stays text: <script>window.__readmeRan = true</script> <img src=x onerror="window.__readmeRan = true">
            """));

    private static string NotesTemplate(string version) => TestApp.Create($$"""
        service: notes
        template:
          name: notes-api
          version: {{version}}
          description: Keeps short notes in memory
          labels: [demo, storage]
        provider:
          name: aws
          runtime: python3.11
        functions:
          notes:
            handler: handler.main
            events:
              - httpApi: 'GET /notes'
        """, ("handler.py", "def main(event, context):\n    return {'notes': []}\n"));

    private async Task<string> TokenAsync(string tenant, string role)
    {
        await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest(tenant), ApiJson.Options);
        var response = await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest(tenant, $"{tenant} {role}", [role]), ApiJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options))!.Token;
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task PublishAsync(HttpClient provider, string appDirectory, TemplateSigningKey key, string changelog)
    {
        using var package = new MemoryStream();
        await TemplatePackager.CreateAsync(appDirectory, key, package, CancellationToken.None);
        using var content = new MultipartFormDataContent
        {
            { new ByteArrayContent(package.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/zip") } }, "package", "template.zip" },
            { new StringContent(changelog), "changelog" },
        };
        var response = await provider.PostAsync("/api/v1/templates", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static string Resolve(string module, string import)
    {
        var directory = Path.GetDirectoryName(module) ?? "";
        return Path.GetFullPath(Path.Combine("/", directory, import)).TrimStart('/');
    }

    [GeneratedRegex("""(?:import|from)\s+'(?<path>\.{1,2}/[^']+\.js)'""")]
    private static partial Regex ImportPattern();
}
