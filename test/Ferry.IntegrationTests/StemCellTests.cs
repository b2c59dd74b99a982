using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Runtime.StemCells;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>Through the whole server: cold starts of deployed functions taken over by stem cells, and one that can't be.</summary>
public sealed class StemCellTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { StemCellsPerRuntime = 1, StemCellsMaxPerRuntime = 1 }); // a fixed pool (its growth: StemCellBurstTests)

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private StemCellPool Cells => _server.Services.GetRequiredService<StemCellPool>();

    private async Task WaitForCellsAsync()
    {
        for (var attempt = 0; attempt < 300 && StemCellFamily.All.Any(f => Cells.ReadyCount(f) == 0); attempt++)
        {
            await Task.Delay(100);
        }

        Assert.All(StemCellFamily.All, f => Assert.Equal(1, Cells.ReadyCount(f)));
    }

    private async Task<JsonElement[]> LogsUntilReportAsync(string service, string function)
    {
        JsonElement[] logs = [];
        for (var attempt = 0; attempt < 100 && !logs.Any(l => l.GetProperty("message").GetString()!.StartsWith("REPORT", StringComparison.Ordinal)); attempt++)
        {
            await Task.Delay(100);
            logs = (await _server.Http.GetFromJsonAsync<JsonElement[]>($"/api/v1/apps/{service}/dev/logs?function={function}"))!;
        }

        return logs;
    }

    [Fact]
    public async Task The_first_requests_of_a_node_and_a_python_function_are_served_by_stem_cells_as_those_functions()
    {
        var app = TestApp.Create("""
            service: stems
            provider:
              name: aws
              environment:
                GREETING: hi
            functions:
              js:
                handler: handler.main
                runtime: nodejs20.x
                events:
                  - httpApi: 'GET /js'
              py:
                handler: app.main
                runtime: python3.11
                events:
                  - httpApi: 'GET /py'
            """,
            ("handler.js", "const fs = require('fs');\nexports.main = async () => { console.log('node says ' + process.env.GREETING); return { greeting: process.env.GREETING, name: process.env.AWS_LAMBDA_FUNCTION_NAME, files: fs.readdirSync('/var/task').sort() }; };\n"),
            ("app.py", "import os\ndef main(event, context):\n    print('python says ' + os.environ['GREETING'])\n    return {'greeting': os.environ['GREETING'], 'name': context.function_name, 'files': sorted(os.listdir('/var/task'))}\n"));
        await WaitForCellsAsync();
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var waiting = StemCellFamily.All.ToDictionary(f => f, f => Cells.ReadyCells(f).Single().Id);

        foreach (var (function, family, says) in new[] { ("js", StemCellFamily.Node, "node says hi"), ("py", StemCellFamily.Python, "python says hi") })
        {
            var response = await _server.Http.GetAsync($"/stems/dev/{function}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("hi", body.GetProperty("greeting").GetString());
            Assert.Equal($"stems-dev-{function}", body.GetProperty("name").GetString());
            Assert.Contains("serverless.yml", body.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
            var requestId = response.Headers.GetValues("apigw-requestid").Single();

            var logs = await LogsUntilReportAsync("stems", function);
            var messages = logs.Select(l => l.GetProperty("message").GetString()!).ToList();
            Assert.All(logs, l => Assert.Equal(waiting[family], l.GetProperty("instance").GetString()));
            Assert.Contains(messages, m => m.StartsWith("INIT_START", StringComparison.Ordinal) && m.Contains("StemCell: true", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.StartsWith($"START RequestId: {requestId}", StringComparison.Ordinal));
            Assert.Contains(says, messages);
            Assert.Contains($"END RequestId: {requestId}", messages);
            Assert.Contains(messages, m => m.StartsWith($"REPORT RequestId: {requestId}", StringComparison.Ordinal) && m.Contains("Cold Start: true", StringComparison.Ordinal));
        }

        // Both cells were used up and replaced by new ones; the web cell waits on (this app has no web function).
        await WaitForCellsAsync();
        Assert.All([StemCellFamily.Node, StemCellFamily.Python], f => Assert.NotEqual(waiting[f], Cells.ReadyCells(f).Single().Id));
        Assert.Equal(waiting[StemCellFamily.Web], Cells.ReadyCells(StemCellFamily.Web).Single().Id);
    }

    [Fact]
    public async Task The_first_request_of_a_web_function_is_served_by_a_web_cell_running_its_command()
    {
        var app = TestApp.Create("""
            service: webcell
            provider:
              name: aws
              environment:
                GREETING: hello
            functions:
              site:
                runtime: web
                command: node server.js
                events:
                  - httpApi: '*'
            """,
            ("server.js", "let connections = 0; require('http').createServer((req, res) => { console.log('served ' + req.url); res.end(JSON.stringify({ greeting: process.env.GREETING, url: req.url, port: process.env.PORT, cell: process.env.FERRY_STEM_CELL ?? null, connections })); }).on('connection', () => connections++).listen(process.env.PORT, '127.0.0.1');\n"));
        await WaitForCellsAsync();
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var cell = Cells.ReadyCells(StemCellFamily.Web).Single().Id;

        var response = await _server.Http.GetAsync("/webcell/dev/hello?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("hello", body.GetProperty("greeting").GetString());
        Assert.Equal("/hello?x=1", body.GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("cell").ValueKind);
        // The connection that found the app listening carried the request: the app was connected to once.
        Assert.Equal(1, body.GetProperty("connections").GetInt32());
        JsonElement[] logs = [];
        for (var attempt = 0; attempt < 100 && !logs.Any(l => l.GetProperty("message").GetString() == "served /hello?x=1"); attempt++)
        {
            await Task.Delay(100);
            logs = (await _server.Http.GetFromJsonAsync<JsonElement[]>("/api/v1/apps/webcell/dev/logs?function=site"))!;
        }

        Assert.All(logs, l => Assert.Equal(cell, l.GetProperty("instance").GetString()));
        Assert.Contains(logs, l => l.GetProperty("message").GetString()!.StartsWith("INIT_START", StringComparison.Ordinal)
            && l.GetProperty("message").GetString()!.Contains("StemCell: true", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.GetProperty("message").GetString() == "served /hello?x=1");
        await WaitForCellsAsync();
        Assert.NotEqual(cell, Cells.ReadyCells(StemCellFamily.Web).Single().Id);
    }

    [Fact]
    public async Task A_function_that_sets_NODE_OPTIONS_starts_cold_without_taking_the_waiting_cell()
    {
        var app = TestApp.Create("""
            service: plain
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              opts:
                handler: handler.main
                environment:
                  NODE_OPTIONS: --max-old-space-size=64
                events:
                  - httpApi: 'GET /'
            """, ("handler.js", "exports.main = async () => ({ options: process.env.NODE_OPTIONS });\n"));
        await WaitForCellsAsync();
        var cell = Cells.ReadyCells(StemCellFamily.Node).Single().Id;
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var response = await _server.Http.GetAsync("/plain/dev/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("--max-old-space-size=64", await response.Content.ReadAsStringAsync());
        var logs = await LogsUntilReportAsync("plain", "opts");
        Assert.DoesNotContain(logs, l => l.GetProperty("instance").GetString() == cell);
        Assert.Contains(logs, l => l.GetProperty("message").GetString()!.StartsWith("INIT_START", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.GetProperty("message").GetString()!.Contains("StemCell", StringComparison.Ordinal));
        Assert.Equal(cell, Cells.ReadyCells(StemCellFamily.Node).Single().Id);
    }
}
