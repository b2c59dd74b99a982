using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>The template center as a person uses it: the ferry CLI against a real server, one role per token.</summary>
public sealed class TemplateCliTests : IAsyncLifetime
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

    [Fact]
    public async Task Publish_review_install_list_and_upgrade_with_the_cli()
    {
        var provider = await TokenAsync("acme", "provider");
        var reviewer = await TokenAsync("board", "reviewer");
        var consumer = await TokenAsync("globex", "consumer");
        var keyFile = Path.Combine(TempDirectory.Create("keys"), "signing-key");

        string App(string version) => TestApp.Create($$"""
            service: notes
            template:
              name: notes
              version: {{version}}
              description: Notes API
              parameters:
                - name: title
                  type: string
                  required: true
                - name: password
                  type: string
                  secret: true
                  required: true
            provider:
              name: aws
              runtime: python3.11
              environment:
                TITLE: ${param:title}
                PASSWORD: ${param:password}
            functions:
              notes:
                handler: app.handler
                events:
                  - httpApi: 'GET /'
            """, ("app.py", $"import os\ndef handler(event, context):\n    return {{'version': '{version}', 'title': os.environ['TITLE']}}\n"));

        await RunAsync(provider, Repo.Root, "template", "keygen", "--out", keyFile);
        await RunAsync(provider, Repo.Root, "template", "key", "register", "--key", keyFile);
        var published = await RunAsync(provider, App("1.0.0"), "template", "publish", "--key", keyFile, "--changelog", "First");
        Assert.Contains("notes@1.0.0", published.Stdout + published.Stderr);

        var queue = await RunAsync(reviewer, Repo.Root, "review", "list");
        Assert.Contains("notes", queue.Stdout);
        await RunAsync(reviewer, Repo.Root, "review", "show", "notes@1.0.0");
        await RunAsync(reviewer, Repo.Root, "review", "approve", "notes@1.0.0", "--comment", "ok");

        var missing = await FerryCli.RunAsAsync(consumer, _server.BaseUrl, Repo.Root, "app", "install", "notes", "--param", "password=hunter22");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("title", missing.Stderr);
        Assert.DoesNotContain("hunter22", missing.Stdout + missing.Stderr);

        var installed = await RunAsync(consumer, Repo.Root, "app", "install", "notes@1.0.0", "--param", "title=Mine", "--param", "password=hunter22");
        Assert.DoesNotContain("hunter22", installed.Stdout + installed.Stderr);
        var body = JsonDocument.Parse(await _server.Http.GetStringAsync("/notes/dev/")).RootElement;
        Assert.Equal("Mine", body.GetProperty("title").GetString());

        await RunAsync(provider, App("1.1.0"), "template", "publish", "--key", keyFile, "--changelog", "Second");
        await RunAsync(reviewer, Repo.Root, "review", "approve", "notes@1.1.0");
        var list = await RunAsync(consumer, Repo.Root, "app", "list");
        Assert.Contains("update available", list.Stdout);
        Assert.Contains("1.1.0", list.Stdout);

        var upgraded = await RunAsync(consumer, Repo.Root, "app", "upgrade", "notes");
        Assert.Contains("1.1.0", upgraded.Stdout);
        Assert.Equal("1.1.0", JsonDocument.Parse(await _server.Http.GetStringAsync("/notes/dev/")).RootElement.GetProperty("version").GetString());
    }
}
