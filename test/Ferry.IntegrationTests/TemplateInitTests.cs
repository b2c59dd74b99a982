using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// <c>ferry init --template NAME[@VERSION] [DIR]</c>: a consumer starts an app from the source of an approved template
/// version, deploys it as their own app, and it answers; closed-source and unapproved versions are refused.
/// </summary>
public sealed class TemplateInitTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> TokenAsync(string tenant, string role)
    {
        await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", tenant);
        var created = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "token", "create", "--tenant", tenant, "--role", role, "--name", role, "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        return JsonSerializer.Deserialize<CreatedToken>(created.Stdout, ApiJson.Options)!.Token;
    }

    private async Task<CliResult> RunAsync(string token, string directory, params string[] args)
    {
        var result = await FerryCli.RunAsAsync(token, _server.BaseUrl, directory, args);
        Assert.True(result.ExitCode == 0, $"ferry {string.Join(' ', args)}\n{result}");
        return result;
    }

    private static string GreeterApp(string version) => TestApp.Create($$"""
        service: greeter
        template:
          name: greeter
          version: {{version}}
          description: Says hello
        provider:
          name: aws
          runtime: python3.11
        functions:
          hello:
            handler: app.handler
            events:
              - httpApi: 'GET /'
        """,
        ("app.py", "from lib.words import GREETING\ndef handler(event, context):\n    return {'greeting': GREETING}\n"),
        ("lib/__init__.py", ""),
        ("lib/words.py", $"GREETING = 'hello from {version}'\n"));

    [Fact]
    public async Task A_consumer_inits_an_approved_template_deploys_it_and_it_answers_but_not_a_closed_source_or_unapproved_one()
    {
        var provider = await TokenAsync("acme", "provider");
        var reviewer = await TokenAsync("board", "reviewer");
        var consumer = await TokenAsync("globex", "consumer");
        var keyFile = Path.Combine(TempDirectory.Create("keys"), "signing-key");
        await RunAsync(provider, Repo.Root, "template", "keygen", "--out", keyFile);
        await RunAsync(provider, Repo.Root, "template", "key", "register", "--key", keyFile);
        await RunAsync(provider, GreeterApp("1.0.0"), "template", "publish", "--key", keyFile);
        await RunAsync(reviewer, Repo.Root, "review", "approve", "greeter@1.0.0");
        await RunAsync(provider, GreeterApp("1.1.0"), "template", "publish", "--key", keyFile);

        // The newest approved version (1.1.0 still waits for review) into a new folder…
        var parent = TempDirectory.Create("init");
        var created = await RunAsync(consumer, parent, "init", "--template", "greeter", "mine");
        Assert.Contains("Created greeter@1.0.0", created.Stdout);
        var app = Path.Combine(parent, "mine");
        Assert.Equal("GREETING = 'hello from 1.0.0'\n", File.ReadAllText(Path.Combine(app, "lib", "words.py")));

        // …deployed as the consumer's own app.
        await RunAsync(consumer, app, "deploy");
        var body = JsonDocument.Parse(await _server.Http.GetStringAsync("/greeter/dev/")).RootElement;
        Assert.Equal("hello from 1.0.0", body.GetProperty("greeting").GetString());

        // A folder that is not empty is refused.
        var again = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, parent, "init", "--template", "greeter@1.0.0", "mine");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("is not empty", again.Stderr);

        // A version still in review is not served.
        var pending = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, parent, "init", "--template", "greeter@1.1.0", "pending");
        Assert.True(pending.ExitCode == 1, pending.ToString());
        Assert.Contains("No approved version greeter@1.1.0", pending.Stderr);
        Assert.False(Directory.Exists(Path.Combine(parent, "pending")));

        // A template with closed-source functions: 403, naming why.
        var sealedApp = TestApp.Create("""
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
        File.SetUnixFileMode(Path.Combine(sealedApp, "bootstrap"), (UnixFileMode)0b111_101_101);
        await RunAsync(provider, sealedApp, "template", "publish", "--key", keyFile);
        await RunAsync(reviewer, Repo.Root, "review", "approve", "sealed@1.0.0");
        var closed = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, parent, "init", "--template", "sealed", "sealed");
        Assert.True(closed.ExitCode == 1, closed.ToString());
        Assert.Contains("sealed@1.0.0 has closed-source functions (engine), so its source is not available", closed.Stderr);
        Assert.False(Directory.Exists(Path.Combine(parent, "sealed")));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/templates/sealed/versions/1.0.0/source");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", consumer);
        using var response = await _server.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("\"closed_source\"", await response.Content.ReadAsStringAsync());
    }
}
