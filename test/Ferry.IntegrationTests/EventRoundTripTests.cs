using System.Net;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// Through the whole server: Ferry's Node and Python runtime loops take each next event from the answer to the
/// outcome they post (the Runtime API's Lambda-Runtime-Ferry-Next extension), for results and for handler errors
/// alike, in one warm process, and each request's output stays its own.
/// </summary>
public sealed class EventRoundTripTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Node_and_python_functions_serve_results_and_errors_in_turn_from_one_process()
    {
        var app = TestApp.Create("""
            service: roundtrip
            provider:
              name: aws
            functions:
              js:
                handler: handler.main
                runtime: nodejs20.x
                maxInstances: 1
                events:
                  - httpApi: 'GET /js'
              py:
                handler: app.main
                runtime: python3.11
                maxInstances: 1
                events:
                  - httpApi: 'GET /py'
            """,
            ("handler.js", """
                let calls = 0;
                exports.main = async (event) => {
                  calls++;
                  const fail = event.queryStringParameters?.fail;
                  console.log(`js call ${calls} ${context_id(event)}`);
                  if (fail) throw new Error(`js failed on call ${calls}`);
                  return { calls, pid: process.pid };
                };
                function context_id(event) { return event.queryStringParameters?.tag ?? '-'; }
                """),
            ("app.py", """
                import os
                calls = 0
                def main(event, context):
                    global calls
                    calls += 1
                    params = event.get('queryStringParameters') or {}
                    print(f"py call {calls} {params.get('tag', '-')}")
                    if params.get('fail'):
                        raise ValueError(f"py failed on call {calls}")
                    return {'calls': calls, 'pid': os.getpid()}
                """));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        foreach (var function in new[] { "js", "py" })
        {
            var pids = new HashSet<int>();
            var tags = new[] { "a", "b", "c", "d", "e" };
            for (var i = 0; i < tags.Length; i++)
            {
                var fail = i is 1 or 2; // two errors in a row, then results again
                var response = await _server.Http.GetAsync($"/roundtrip/dev/{function}?tag={tags[i]}{(fail ? "&fail=1" : "")}");
                var text = await response.Content.ReadAsStringAsync();
                if (fail)
                {
                    Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, $"{function} call {i + 1}: {response.StatusCode} {text}");
                    continue;
                }

                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{function} call {i + 1}: {response.StatusCode} {text}");
                var body = JsonDocument.Parse(text).RootElement;
                Assert.Equal(i + 1, body.GetProperty("calls").GetInt32()); // same process: the module state goes on counting
                pids.Add(body.GetProperty("pid").GetInt32());
            }

            Assert.Single(pids);

            // Every request's own output line and error are attributed to it, before its END line.
            var logs = await LogsUntilAsync(function, entries => entries.Count(e => Message(e).StartsWith("REPORT", StringComparison.Ordinal)) == tags.Length);
            var byRequest = logs.Where(e => e.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String)
                .GroupBy(e => e.GetProperty("requestId").GetString()!)
                .ToList();
            Assert.Equal(tags.Length, byRequest.Count);
            foreach (var request in byRequest)
            {
                var messages = request.Select(Message).ToList();
                var call = Assert.Single(messages, m => m.StartsWith($"{function} call ", StringComparison.Ordinal));
                var end = messages.FindIndex(m => m.StartsWith("END RequestId:", StringComparison.Ordinal));
                Assert.True(end > messages.IndexOf(call), string.Join(" | ", messages));
                var callNumber = int.Parse(call.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
                if (callNumber is 2 or 3)
                {
                    Assert.Contains(messages, m => m.Contains($"failed on call {callNumber}", StringComparison.Ordinal));
                }
            }
        }
    }

    private static string Message(JsonElement entry) => entry.GetProperty("message").GetString()!;

    private async Task<JsonElement[]> LogsUntilAsync(string function, Func<JsonElement[], bool> done)
    {
        JsonElement[] logs = [];
        for (var attempt = 0; attempt < 300 && !done(logs); attempt++)
        {
            await Task.Delay(100);
            logs = JsonSerializer.Deserialize<JsonElement[]>(await _server.Http.GetStringAsync($"/api/v1/apps/roundtrip/dev/logs?function={function}"))!;
        }

        Assert.True(done(logs), $"logs of {function}: {string.Join(" | ", logs.Select(Message))}");
        return logs;
    }
}
