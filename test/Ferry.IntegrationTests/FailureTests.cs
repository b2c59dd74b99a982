using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>Crashes, timeouts and bad input: clear answers, logs kept, and the next request served by a fresh instance.</summary>
public sealed class FailureTests : IAsyncLifetime
{
    private const string FaultyYml = """
        service: faulty
        provider:
          name: aws
          runtime: nodejs20.x
          timeout: 1
        functions:
          crash:
            handler: handler.crash
            events:
              - httpApi: 'GET /crash'
          slow:
            handler: handler.slow
            events:
              - httpApi: 'GET /slow'
          fails:
            handler: handler.fails
            events:
              - httpApi: 'GET /fails'
        """;

    private const string FaultyJs = """
        const instance = require('node:crypto').randomUUID();
        let calls = 0;
        exports.crash = async (event) => {
          calls++;
          if (event.queryStringParameters?.die === '1') {
            console.log('about to crash');
            process.exit(3);
          }
          return { calls, instance };
        };
        exports.slow = async (event) => {
          if (event.queryStringParameters?.wait === '1') {
            console.log('sleeping past the timeout');
            await new Promise(r => setTimeout(r, 5000));
          }
          return { ok: true };
        };
        exports.fails = async () => { throw new TypeError('bad thing happened'); };
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { MaxArchiveBytes = 64 * 1024 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task DeployFaultyAsync()
    {
        var app = TestApp.Create(FaultyYml, ("handler.js", FaultyJs));
        var result = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task A_crashing_function_gives_502_keeps_its_logs_and_the_next_request_gets_a_fresh_instance()
    {
        await DeployFaultyAsync();
        var first = await _server.Http.GetFromJsonAsync<JsonElement>("/faulty/dev/crash");

        var crashed = await _server.Http.GetAsync("/faulty/dev/crash?die=1");
        Assert.Equal(HttpStatusCode.BadGateway, crashed.StatusCode);
        var body = await crashed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("function_crashed", body.GetProperty("code").GetString());

        var after = await _server.Http.GetFromJsonAsync<JsonElement>("/faulty/dev/crash");
        Assert.NotEqual(first.GetProperty("instance").GetString(), after.GetProperty("instance").GetString());
        Assert.Equal(1, after.GetProperty("calls").GetInt32());

        var logs = await WaitForLogsAsync("crash", lines => lines.Any(l => l.Contains("Runtime exited with error: exit status 3")));
        Assert.Contains(logs, l => l == "about to crash");
    }

    [Fact]
    public async Task A_function_past_its_timeout_gives_504_and_is_replaced()
    {
        await DeployFaultyAsync();

        var timedOut = await _server.Http.GetAsync("/faulty/dev/slow?wait=1");
        Assert.Equal(HttpStatusCode.GatewayTimeout, timedOut.StatusCode);
        Assert.Equal("function_timeout", (await timedOut.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var next = await _server.Http.GetAsync("/faulty/dev/slow");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await WaitForLogsAsync("slow", lines => lines.Any(l => l.Contains("Task timed out after 1.00 seconds")));
    }

    [Fact]
    public async Task A_handler_error_gives_500_and_its_message_is_in_the_logs()
    {
        await DeployFaultyAsync();
        var failed = await _server.Http.GetAsync("/faulty/dev/fails");
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        await WaitForLogsAsync("fails", lines => lines.Any(l => l.Contains("Status: Error")));
    }

    [Fact]
    public async Task Manifest_errors_name_file_line_and_column_and_exit_1()
    {
        var app = TestApp.Create("""
            service: broken
            provider:
              runtime: cobol85
            functions:
              f:
                handler: h.f
            """, ("h.js", "exports.f = async () => 1;"));

        var result = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("serverless.yml:3:", result.Stderr);
        Assert.Contains("cobol85", result.Stderr);
    }

    [Fact]
    public async Task A_missing_handler_file_is_refused_before_anything_changes()
    {
        var app = TestApp.Create("""
            service: nohandler
            provider:
              runtime: python3.11
            functions:
              f:
                handler: missing.main
                events:
                  - httpApi: 'GET /'
            """);

        var result = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing.py", result.Stderr);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/v1/apps/nohandler/dev")).StatusCode);
    }

    [Theory]
    [InlineData("../escape.js")]
    [InlineData("/etc/evil.js")]
    [InlineData("a/../../escape.js")]
    public async Task Archives_with_paths_leaving_the_tree_are_rejected(string entryName)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using (var writer = new StreamWriter(archive.CreateEntry("h.js").Open()))
            {
                await writer.WriteAsync("exports.f = async () => 1;");
            }

            await using (var writer = new StreamWriter(archive.CreateEntry(entryName).Open()))
            {
                await writer.WriteAsync("evil");
            }
        }

        var response = await PostDeploymentAsync(ManifestJson("evil"), zip.ToArray());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("archive_invalid", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.False(File.Exists(Path.Combine(_server.DataDirectory, "escape.js")));
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/v1/apps/evil/dev")).StatusCode);
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_gets_413()
    {
        var big = new byte[200 * 1024];
        Random.Shared.NextBytes(big);
        var response = await PostDeploymentAsync(ManifestJson("big"), big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
    }

    private static string ManifestJson(string service) => $$"""
        {"service":"{{service}}","provider":{"name":"ferry","stage":"dev","region":"local","memorySize":128,"timeout":3},
         "functions":[{"name":"f","handler":"h.f","runtime":"nodejs20.x","memorySize":128,"timeout":3,"routes":[{"method":"GET","path":"/"}]}]}
        """;

    private async Task<HttpResponseMessage> PostDeploymentAsync(string manifest, byte[] archive)
    {
        using var content = new MultipartFormDataContent
        {
            { new StringContent(manifest, Encoding.UTF8, "application/json"), "manifest" },
        };
        var archivePart = new ByteArrayContent(archive);
        archivePart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(archivePart, "archive", "app.zip");
        return await _server.Http.PostAsync("/api/v1/deployments", content);
    }

    private async Task<IReadOnlyList<string>> WaitForLogsAsync(string function, Func<IReadOnlyList<string>, bool> done)
    {
        IReadOnlyList<string> messages = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var lines = await _server.Http.GetFromJsonAsync<JsonElement[]>($"/api/v1/apps/faulty/dev/logs?function={function}");
            messages = [.. lines!.Select(l => l.GetProperty("message").GetString()!)];
            if (done(messages))
            {
                return messages;
            }

            await Task.Delay(100);
        }

        Assert.Fail("expected log lines did not arrive; got:\n" + string.Join("\n", messages));
        return messages;
    }
}
