using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.Hub;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// The delivery model end to end over the real HTTP API with two servers on loopback: a provider publishes a signed
/// template to the hub, a reviewer approves it, a consumer installs it into their own server, sees an update, and
/// upgrades under continuous load with zero failed requests; a broken version never takes traffic.
/// </summary>
public sealed class TemplateCenterTests : IAsyncLifetime
{
    private FerryTestServer _hub = null!;
    private FerryTestServer _consumer = null!;

    public async Task InitializeAsync()
    {
        _hub = await FerryTestServer.StartAsync();
        // The hub runs on loopback: the consumer server must be told that is fine (consumers add the hub here).
        _consumer = await FerryTestServer.StartAsync(options => options with { AllowPrivateHubs = true });
    }

    public async Task DisposeAsync()
    {
        await _consumer.DisposeAsync();
        await _hub.DisposeAsync();
    }

    private static string TemplateApp(string version, string body, bool extraParameter = false) => TestApp.Create($$"""
        service: greeter
        template:
          name: greeter
          version: {{version}}
          description: A greeting API
          parameters:
            - name: greeting
              type: string
              default: Hello
            - name: apiKey
              type: string
              secret: true
              required: true
        {{(extraParameter ? "    - name: color\n      type: string\n      default: blue\n" : "")}}
        provider:
          name: aws
          runtime: nodejs20.x
          environment:
            GREETING: ${param:greeting}
            API_KEY: ${param:apiKey}
        {{(extraParameter ? "    COLOR: ${param:color}\n" : "")}}
        functions:
          api:
            handler: handler.main
            events:
              - httpApi: 'GET /'
        """, ("handler.js", body));

    private static string Handler(string version) => $$"""
        exports.main = async () => ({ version: '{{version}}', greeting: process.env.GREETING, color: process.env.COLOR ?? null, keyLength: process.env.API_KEY.length });
        """;

    private async Task<string> TokenAsync(FerryTestServer server, string tenant, string role)
    {
        await server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest(tenant), ApiJson.Options);
        var response = await server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest(tenant, $"{tenant}-{role}", [role]), ApiJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options))!.Token;
    }

    private static HttpClient Client(FerryTestServer server, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<HttpResponseMessage> PublishAsync(HttpClient provider, string appDirectory, TemplateSigningKey key, string changelog)
    {
        var package = Path.Combine(Path.GetTempPath(), $"ferry-template-{Guid.NewGuid():N}.zip");
        try
        {
            await using (var output = File.Create(package))
            {
                await TemplatePackager.CreateAsync(appDirectory, key, output, CancellationToken.None);
            }

            using var content = new MultipartFormDataContent
            {
                { new ByteArrayContent(await File.ReadAllBytesAsync(package)) { Headers = { ContentType = new MediaTypeHeaderValue("application/zip") } }, "package", "template.zip" },
                { new StringContent(changelog), "changelog" },
            };
            return await provider.PostAsync("/api/v1/templates", content);
        }
        finally
        {
            File.Delete(package);
        }
    }

    [Fact]
    public async Task Provider_reviewer_consumer_install_update_and_zero_downtime_upgrade_across_two_servers()
    {
        using var provider = Client(_hub, await TokenAsync(_hub, "acme", "provider"));
        using var reviewer = Client(_hub, await TokenAsync(_hub, "review-board", "reviewer"));
        var consumerAtHub = await TokenAsync(_hub, "globex", "consumer");
        var installerAtHub = await TokenAsync(_hub, "globex", "installer"); // what the consumer's *server* uses
        using var consumer = Client(_consumer, await TokenAsync(_consumer, "globex", "consumer"));
        using var key = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();

        // Provider publishes 1.0.0: pending, invisible to consumers until approved.
        var published = await PublishAsync(provider, TemplateApp("1.0.0", Handler("1.0.0")), key, "First release");
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal("pending", (await published.Content.ReadFromJsonAsync<TemplateVersionInfo>(ApiJson.Options))!.Status);
        using (var consumerOnHub = Client(_hub, consumerAtHub))
        {
            Assert.Empty((await consumerOnHub.GetFromJsonAsync<TemplateSummary[]>("/api/v1/templates", ApiJson.Options))!);
        }

        // Same version with other content is refused (and its upload removed at once); identical content is accepted idempotently.
        var storedPackages = Directory.GetFiles(Path.Combine(_hub.DataDirectory, "artifacts"), "*", SearchOption.AllDirectories).Order().ToList();
        var conflicting = await PublishAsync(provider, TemplateApp("1.0.0", Handler("1.0.0-changed")), key, "x");
        Assert.Equal(HttpStatusCode.Conflict, conflicting.StatusCode);
        Assert.Equal(storedPackages, Directory.GetFiles(Path.Combine(_hub.DataDirectory, "artifacts"), "*", SearchOption.AllDirectories).Order().ToList());

        // Reviewer sees the queue and the review, approves.
        var queue = await reviewer.GetFromJsonAsync<TemplateVersionInfo[]>("/api/v1/reviews", ApiJson.Options);
        Assert.Equal("greeter", Assert.Single(queue!).Template);
        var review = await reviewer.GetFromJsonAsync<ReviewInfo>("/api/v1/templates/greeter/versions/1.0.0/review", ApiJson.Options);
        Assert.Null(review!.PreviousVersion);
        Assert.DoesNotContain("s3cr3t", review.ManifestJson);
        (await reviewer.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.0.0/approve", new ReviewDecision("looks good"), ApiJson.Options)).EnsureSuccessStatusCode();

        // The consumer's own server points at the hub and installs from it.
        (await consumer.PostAsJsonAsync("/api/v1/hubs", new AddHubRequest("main", _hub.BaseUrl, installerAtHub), ApiJson.Options)).EnsureSuccessStatusCode();
        // The hub token is kept encrypted: the store alone does not give it away.
        var storedHub = Assert.Single(await _consumer.Services.GetRequiredService<IHubStore>().ListHubsAsync("globex", CancellationToken.None));
        Assert.DoesNotContain(installerAtHub, storedHub.Token);
        Assert.DoesNotContain("fry_", storedHub.Token);
        var missingParam = await consumer.PostAsJsonAsync("/api/v1/installs", new InstallRequest("greeter", null, "main", null, "prod", null, null), ApiJson.Options);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missingParam.StatusCode);
        Assert.Contains("apiKey", await missingParam.Content.ReadAsStringAsync());

        var installResponse = await consumer.PostAsJsonAsync("/api/v1/installs",
            new InstallRequest("greeter", null, "main", null, "prod", null, new Dictionary<string, string> { ["apiKey"] = "s3cr3t", ["greeting"] = "Ahoy" }), ApiJson.Options);
        var installText = await installResponse.Content.ReadAsStringAsync();
        Assert.True(installResponse.StatusCode == HttpStatusCode.Created, installText);
        Assert.DoesNotContain("s3cr3t", installText);
        var installed = JsonSerializer.Deserialize<InstallInfo>(installText, ApiJson.Options)!;
        Assert.Equal("1.0.0", installed.Version);

        var v1 = await _consumer.Http.GetFromJsonAsync<JsonElement>("/greeter/prod/");
        Assert.Equal("1.0.0", v1.GetProperty("version").GetString());
        Assert.Equal("Ahoy", v1.GetProperty("greeting").GetString());
        Assert.Equal(6, v1.GetProperty("keyLength").GetInt32());

        // 1.1.0 adds a parameter with a default; approved → "update available" with its changelog.
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(provider, TemplateApp("1.1.0", Handler("1.1.0"), extraParameter: true), key, "Adds colour")).StatusCode);
        var diff = await reviewer.GetFromJsonAsync<ReviewInfo>("/api/v1/templates/greeter/versions/1.1.0/review", ApiJson.Options);
        Assert.Equal("1.0.0", diff!.PreviousVersion);
        Assert.Contains(diff.Diff, line => line.Contains("color", StringComparison.Ordinal));
        (await reviewer.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.1.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();
        var listed = Assert.Single((await consumer.GetFromJsonAsync<InstallInfo[]>("/api/v1/installs", ApiJson.Options))!);
        Assert.Equal("1.1.0", listed.UpdateAvailable);
        Assert.Equal("Adds colour", Assert.Single(listed.Changelog).Changelog);

        // Upgrade under continuous load: zero failed requests, and the new version takes over.
        var (failures, seen, upgrade) = await UnderLoadAsync(() => consumer.PostAsJsonAsync("/api/v1/installs/greeter/prod/upgrade", new UpgradeRequest(null, null), ApiJson.Options));
        var upgradeText = await upgrade.Content.ReadAsStringAsync();
        Assert.True(upgrade.IsSuccessStatusCode, upgradeText);
        Assert.Equal("upgraded", JsonSerializer.Deserialize<UpgradeResult>(upgradeText, ApiJson.Options)!.Outcome);
        Assert.Empty(failures);
        Assert.Contains("1.1.0", seen);
        var v2 = await _consumer.Http.GetFromJsonAsync<JsonElement>("/greeter/prod/");
        Assert.Equal("blue", v2.GetProperty("color").GetString());
        Assert.Equal("Ahoy", v2.GetProperty("greeting").GetString());

        // A broken 1.2.0 fails its health check: traffic never leaves 1.1.0, and no request fails.
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(provider, TemplateApp("1.2.0", "exports.main = async () => { throw new Error('broken release'); };", extraParameter: true), key, "Oops")).StatusCode);
        (await reviewer.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.2.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();
        var (brokenFailures, brokenSeen, brokenUpgrade) = await UnderLoadAsync(() => consumer.PostAsJsonAsync("/api/v1/installs/greeter/prod/upgrade", new UpgradeRequest(null, null), ApiJson.Options));
        var result = (await brokenUpgrade.Content.ReadFromJsonAsync<UpgradeResult>(ApiJson.Options))!;
        Assert.Equal("rolled_back", result.Outcome);
        Assert.Contains("broken release", result.Reason);
        Assert.Empty(brokenFailures);
        Assert.Equal(["1.1.0"], brokenSeen);
        Assert.Equal("1.1.0", result.Install.Version);

        // Manual rollback returns to 1.0.0.
        var rolledBack = await consumer.PostAsync("/api/v1/installs/greeter/prod/rollback", null);
        Assert.Equal("1.0.0", (await rolledBack.Content.ReadFromJsonAsync<InstallInfo>(ApiJson.Options))!.Version);
        Assert.Equal("1.0.0", (await _consumer.Http.GetFromJsonAsync<JsonElement>("/greeter/prod/")).GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_tampered_package_is_refused_and_nobody_else_can_publish_or_review()
    {
        using var provider = Client(_hub, await TokenAsync(_hub, "acme", "provider"));
        using var intruder = Client(_hub, await TokenAsync(_hub, "other", "provider"));
        using var consumerClient = Client(_hub, await TokenAsync(_hub, "globex", "consumer"));
        using var key = TemplateSigningKey.Generate();
        using var otherKey = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();

        // Unregistered key → refused.
        var unsigned = await PublishAsync(provider, TemplateApp("1.0.0", Handler("1.0.0")), otherKey, "x");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unsigned.StatusCode);

        // A package altered after signing → refused.
        var app = TemplateApp("1.0.0", Handler("1.0.0"));
        var packagePath = Path.Combine(Path.GetTempPath(), $"ferry-tampered-{Guid.NewGuid():N}.zip");
        await using (var output = File.Create(packagePath))
        {
            await TemplatePackager.CreateAsync(app, key, output, CancellationToken.None);
        }

        var bytes = await File.ReadAllBytesAsync(packagePath);
        File.Delete(packagePath);
        using (var zip = new MemoryStream())
        {
            await zip.WriteAsync(bytes);
            using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
            {
                var entry = archive.GetEntry("template.json")!;
                string json;
                using (var reader = new StreamReader(entry.Open()))
                {
                    json = await reader.ReadToEndAsync();
                }

                entry.Delete();
                await using var writer = new StreamWriter(archive.CreateEntry("template.json").Open());
                await writer.WriteAsync(json.Replace("A greeting API", "A totally different API", StringComparison.Ordinal));
            }

            using var content = new MultipartFormDataContent
            {
                { new ByteArrayContent(zip.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/zip") } }, "package", "template.zip" },
            };
            var tampered = await provider.PostAsync("/api/v1/templates", content);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, tampered.StatusCode);
        }

        // Roles: a consumer cannot publish or review; another provider cannot take the template name.
        Assert.Equal(HttpStatusCode.Forbidden, (await consumerClient.GetAsync("/api/v1/reviews")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(provider, app, key, "first")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await provider.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.0.0/approve", new ReviewDecision(null), ApiJson.Options)).StatusCode);
        using var intruderKey = TemplateSigningKey.Generate();
        (await intruder.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(intruderKey.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, (await PublishAsync(intruder, TemplateApp("2.0.0", Handler("2.0.0")), intruderKey, "mine now")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await consumerClient.GetAsync("/api/v1/templates/greeter/versions/1.0.0/package")).StatusCode);
    }

    [Fact]
    public async Task The_consumers_server_refuses_a_package_changed_on_the_hub_after_review()
    {
        using var provider = Client(_hub, await TokenAsync(_hub, "acme", "provider"));
        using var reviewer = Client(_hub, await TokenAsync(_hub, "board", "reviewer"));
        using var consumer = Client(_consumer, await TokenAsync(_consumer, "globex", "consumer"));
        var installer = await TokenAsync(_hub, "globex", "installer");
        using var key = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(provider, TemplateApp("1.0.0", Handler("1.0.0")), key, "first")).StatusCode);
        (await reviewer.PostAsJsonAsync("/api/v1/templates/greeter/versions/1.0.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();

        // Someone with access to the hub's disk swaps the handler inside the stored, approved package.
        var stored = Directory.EnumerateFiles(Path.Combine(_hub.DataDirectory, "artifacts"), "*.zip", SearchOption.AllDirectories)
            .Single(path => IsTemplatePackage(path));
        using (var archive = System.IO.Compression.ZipFile.Open(stored, System.IO.Compression.ZipArchiveMode.Update))
        {
            var appZip = archive.GetEntry("app.zip")!;
            using var appCopy = new MemoryStream();
            await using (var entry = appZip.Open())
            {
                await entry.CopyToAsync(appCopy);
            }

            using (var app = new System.IO.Compression.ZipArchive(appCopy, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
            {
                app.GetEntry("handler.js")!.Delete();
                await using var writer = new StreamWriter(app.CreateEntry("handler.js").Open());
                await writer.WriteAsync("exports.main = async () => ({ version: 'evil' });");
            }

            appZip.Delete();
            await using var replaced = archive.CreateEntry("app.zip").Open();
            await replaced.WriteAsync(appCopy.ToArray());
        }

        (await consumer.PostAsJsonAsync("/api/v1/hubs", new AddHubRequest("main", _hub.BaseUrl, installer), ApiJson.Options)).EnsureSuccessStatusCode();
        var install = await consumer.PostAsJsonAsync("/api/v1/installs",
            new InstallRequest("greeter", null, "main", null, "prod", null, new Dictionary<string, string> { ["apiKey"] = "k" }), ApiJson.Options);
        var text = await install.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, install.StatusCode);
        Assert.Contains("package_", text); // package_tampered (digest) or package_invalid (hash of a part)
        Assert.Equal(HttpStatusCode.NotFound, (await _consumer.Http.GetAsync("/greeter/prod/")).StatusCode);
    }

    private static bool IsTemplatePackage(string path)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(path);
        return archive.GetEntry("template.json") is not null;
    }

    [Fact]
    public async Task A_closed_source_function_runs_but_nobody_can_download_its_code()
    {
        using var provider = Client(_hub, await TokenAsync(_hub, "acme", "provider"));
        using var reviewer = Client(_hub, await TokenAsync(_hub, "board", "reviewer"));
        var consumerToken = await TokenAsync(_hub, "globex", "consumer");
        using var consumer = Client(_hub, consumerToken);
        using var key = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();

        // A compiled-binary function (here a bootstrap executable standing in for one) marked closed-source.
        var app = TestApp.Create("""
            service: sealed
            template:
              name: sealed
              version: 1.0.0
              description: Ships a binary only
              closedSource: [engine]
            provider:
              name: aws
              runtime: provided.al2
            functions:
              engine:
                handler: engine.handler
                events:
                  - httpApi: 'POST /echo'
            """, ("bootstrap", await File.ReadAllTextAsync(Path.Combine(Repo.Sample("provided-bash"), "bootstrap"))));
        File.SetUnixFileMode(Path.Combine(app, "bootstrap"), (UnixFileMode)0b111_101_101);
        var published = await PublishAsync(provider, app, key, "binary release");
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal(["engine"], (await published.Content.ReadFromJsonAsync<TemplateVersionInfo>(ApiJson.Options))!.ClosedSourceFunctions);
        (await reviewer.PostAsJsonAsync("/api/v1/templates/sealed/versions/1.0.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();

        // The consumer installs and runs it…
        var installed = await consumer.PostAsJsonAsync("/api/v1/installs", new InstallRequest("sealed", null, null, null, "prod", null, null), ApiJson.Options);
        Assert.True(installed.StatusCode == HttpStatusCode.Created, await installed.Content.ReadAsStringAsync());
        var answer = await _hub.Http.PostAsync("/sealed/prod/echo", new StringContent("ping"));
        Assert.Equal("echo: ping", await answer.Content.ReadAsStringAsync());

        // …but no token a person holds can download the package, and the apps API serves no code at all.
        Assert.Equal(HttpStatusCode.Forbidden, (await consumer.GetAsync("/api/v1/templates/sealed/versions/1.0.0/package")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await provider.GetAsync("/api/v1/templates/sealed/versions/1.0.0/package")).StatusCode);
        var info = await consumer.GetStringAsync("/api/v1/apps/sealed/prod");
        Assert.DoesNotContain("AWS_LAMBDA_RUNTIME_API", info);
        Assert.Equal(HttpStatusCode.NotFound, (await consumer.GetAsync("/api/v1/apps/sealed/prod/code")).StatusCode);
    }

    [Fact]
    public async Task An_upgrade_that_passes_its_health_check_but_then_fails_requests_is_rolled_back_automatically()
    {
        using var provider = Client(_hub, await TokenAsync(_hub, "acme", "provider"));
        using var reviewer = Client(_hub, await TokenAsync(_hub, "board", "reviewer"));
        using var consumer = Client(_hub, await TokenAsync(_hub, "globex", "consumer"));
        using var key = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();

        string App(string version, string workBody) => TestApp.Create($$"""
            service: budget
            template:
              name: budget
              version: {{version}}
              description: Error budget demo
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              home:
                handler: handler.home
                events:
                  - httpApi: 'GET /'
              work:
                handler: handler.work
                events:
                  - httpApi: 'GET /work'
            """, ("handler.js", $"exports.home = async () => ({{ version: '{version}' }});\nexports.work = async () => {{ {workBody} }};"));

        foreach (var (release, work) in new[] { ("1.0.0", "return { ok: true };"), ("1.1.0", "throw new Error('regression');") })
        {
            Assert.Equal(HttpStatusCode.Created, (await PublishAsync(provider, App(release, work), key, release)).StatusCode);
            (await reviewer.PostAsJsonAsync($"/api/v1/templates/budget/versions/{release}/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();
        }

        var install = await consumer.PostAsJsonAsync("/api/v1/installs", new InstallRequest("budget", "1.0.0", null, null, "prod", null, null), ApiJson.Options);
        Assert.True(install.StatusCode == HttpStatusCode.Created, await install.Content.ReadAsStringAsync());

        // 1.1.0's health route answers, so it goes live…
        var upgrade = (await (await consumer.PostAsJsonAsync("/api/v1/installs/budget/prod/upgrade", new UpgradeRequest(null, null), ApiJson.Options))
            .Content.ReadFromJsonAsync<UpgradeResult>(ApiJson.Options))!;
        Assert.Equal("upgraded", upgrade.Outcome);
        Assert.Equal("1.1.0", (await _hub.Http.GetFromJsonAsync<JsonElement>("/budget/prod/")).GetProperty("version").GetString());

        // …but its other route fails: past the error budget (20 % of at least 10 requests) traffic returns to 1.0.0.
        for (var i = 0; i < 12; i++)
        {
            await _hub.Http.GetAsync("/budget/prod/work");
        }

        string? version = null;
        for (var attempt = 0; attempt < 100 && version != "1.0.0"; attempt++)
        {
            await Task.Delay(100);
            version = (await _hub.Http.GetFromJsonAsync<JsonElement>("/budget/prod/")).GetProperty("version").GetString();
        }

        Assert.Equal("1.0.0", version);
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync("/budget/prod/work")).StatusCode);
        // The rollback switches traffic first, then records the install's version: the record follows a moment later
        // (a CI run on PostgreSQL listed 1.1.0 right after the switch).
        InstallInfo? listed = null;
        for (var attempt = 0; attempt < 100 && listed?.Version != "1.0.0"; attempt++)
        {
            listed = Assert.Single((await consumer.GetFromJsonAsync<InstallInfo[]>("/api/v1/installs", ApiJson.Options))!);
            if (listed.Version != "1.0.0")
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(listed);
        Assert.Equal("1.0.0", listed.Version);
        Assert.Equal("1.1.0", listed.UpdateAvailable);
    }

    /// <summary>Calls the installed app in a loop while <paramref name="action"/> runs; returns failures and versions seen.</summary>
    private async Task<(List<string> Failures, HashSet<string> Seen, HttpResponseMessage Result)> UnderLoadAsync(Func<Task<HttpResponseMessage>> action)
    {
        var failures = new List<string>();
        var seen = new HashSet<string>();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(_consumer.BaseUrl) };
            while (!stop.IsCancellationRequested)
            {
                var response = await http.GetAsync("/greeter/prod/");
                var text = await response.Content.ReadAsStringAsync();
                lock (failures)
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        failures.Add($"{(int)response.StatusCode} {text}");
                    }
                    else
                    {
                        seen.Add(JsonDocument.Parse(text).RootElement.GetProperty("version").GetString()!);
                    }
                }
            }
        });

        await Task.Delay(200);
        var result = await action();
        await Task.Delay(1500);
        stop.Cancel();
        await load;
        return (failures, seen, result);
    }
}
