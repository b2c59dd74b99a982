using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>Per-invocation logs (START/END/REPORT + the handler's output) and the live tail.</summary>
public sealed class LogsTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_invocation_logs_start_output_end_and_report_under_its_request_id()
    {
        var response = await _server.Http.GetAsync("/hello/dev/hello?name=logs");
        var requestId = response.Headers.GetValues("apigw-requestid").Single();

        LogLine[] lines = [];
        for (var attempt = 0; attempt < 100 && !lines.Any(l => l.Message.StartsWith("REPORT", StringComparison.Ordinal)); attempt++)
        {
            await Task.Delay(100);
            var cli = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("hello"), "logs", "-f", "hello", "--output", "json");
            Assert.True(cli.ExitCode == 0, cli.ToString());
            lines = [.. cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<LogLine>(l, ApiJson.Options)!)];
        }

        var mine = lines.Where(l => l.RequestId == requestId).Select(l => l.Message).ToList();
        Assert.DoesNotContain(lines, l => l.Message.Contains("ferry:flushed", StringComparison.Ordinal)); // the runtime's markers are not logs
        Assert.StartsWith($"START RequestId: {requestId}", mine[0]);
        Assert.Contains(mine, m => m.StartsWith("greeting logs", StringComparison.Ordinal));
        Assert.Contains(mine, m => m == $"END RequestId: {requestId}");
        var report = Assert.Single(mine, m => m.StartsWith("REPORT", StringComparison.Ordinal));
        Assert.Matches(@"Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB", report);
        Assert.True(mine.IndexOf(mine.First(m => m.StartsWith("greeting", StringComparison.Ordinal))) < mine.IndexOf($"END RequestId: {requestId}"),
            "the handler's output comes before its END line");
    }

    [Fact]
    public async Task Logs_tail_streams_new_lines_live()
    {
        using var tail = FerryCli.Start(_server.BaseUrl, Repo.Sample("hello"), "logs", "-f", "users", "--tail", "--output", "json");
        try
        {
            // Call repeatedly until the tail shows our line: the tail may connect after the first call.
            var marker = "tail-" + Guid.NewGuid().ToString("N")[..8];
            var seen = false;
            var reader = Task.Run(async () =>
            {
                while (await tail.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line.Contains($"looking up user {marker}", StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            });

            for (var attempt = 0; attempt < 50 && !reader.IsCompleted; attempt++)
            {
                var response = await _server.Http.GetAsync($"/hello/dev/users/{marker}");
                response.EnsureSuccessStatusCode();
                await Task.WhenAny(reader, Task.Delay(300));
            }

            seen = reader.IsCompleted && await reader;
            Assert.True(seen, "the tail did not show the new log line; stderr: " + (tail.HasExited ? await tail.StandardError.ReadToEndAsync() : "(running)"));
        }
        finally
        {
            tail.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Logs_can_be_filtered_by_text()
    {
        await _server.Http.GetAsync("/hello/dev/users/needle-123");
        JsonElement[] lines = [];
        for (var attempt = 0; attempt < 100 && lines.Length == 0; attempt++)
        {
            await Task.Delay(100);
            lines = (await _server.Http.GetFromJsonAsync<JsonElement[]>("/api/v1/apps/hello/dev/logs?contains=NEEDLE-123"))!;
        }

        Assert.Single(lines);
        Assert.Equal("looking up user needle-123", lines[0].GetProperty("message").GetString());
    }
}
