using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// Event invocations through the durable queue (retries, dead letters, surviving a restart) and schedules firing
/// functions. Retries are due minutes later, so the tests run the queue at a time ahead of the clock instead of waiting.
/// </summary>
public sealed class AsyncAndScheduleTests : IAsyncLifetime
{
    private const string JobsYml = """
        service: jobs
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          flaky:
            handler: handler.flaky
        """;

    // Counts attempts per event id in the instance; every attempt of an event runs on the same warm instance.
    private const string JobsJs = """
        const attempts = new Map();
        exports.flaky = async (event) => {
          const attempt = (attempts.get(event.id) ?? 0) + 1;
          attempts.set(event.id, attempt);
          if (attempt <= event.failTimes) {
            console.log(`attempt ${attempt} of ${event.id} fails`);
            throw new Error(`attempt ${attempt} of ${event.id} failed`);
          }
          console.log(`attempt ${attempt} of ${event.id} succeeded`);
          return { ok: true };
        };
        """;

    private const string ClockJs = """
        exports.tick = async (event) => {
          console.log('tick ' + JSON.stringify(event));
          return {};
        };
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private AsyncEventWorker Worker => _server.Services.GetRequiredService<AsyncEventWorker>();

    private IAsyncEventQueue Queue => _server.Services.GetRequiredService<IAsyncEventQueue>();

    private async Task DeployAsync(string yml, string handlerJs)
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, TestApp.Create(yml, ("handler.js", handlerJs)), "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    /// <summary>An Event invocation through the Lambda API; returns its request id.</summary>
    private async Task<string> InvokeEventAsync(string functionName, object payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/2015-03-31/functions/{functionName}/invocations")
        {
            Content = JsonContent.Create(payload),
        };
        request.Headers.Add("X-Amz-Invocation-Type", "Event");
        var response = await _server.Http.SendAsync(request); // the Lambda API also accepts a Ferry bearer token
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        return response.Headers.GetValues("x-amzn-RequestId").Single();
    }

    /// <summary>Waits until the worker (running on its own) has recorded the event's first failed attempt.</summary>
    private async Task<AsyncEvent> WaitForFirstFailureAsync(string requestId)
    {
        for (var poll = 0; poll < 600; poll++)
        {
            if (await Queue.FindAsync(requestId, CancellationToken.None) is { Attempts: >= 1 } queued)
            {
                return queued;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the first attempt of event {requestId} was not recorded as failed");
        return null!;
    }

    /// <summary>Runs the queue at times ten minutes apart, ahead of the clock, until the events are no longer queued.</summary>
    private async Task RunRetriesUntilDoneAsync(params string[] requestIds)
    {
        var start = DateTimeOffset.UtcNow;
        for (var step = 1; step <= 10; step++)
        {
            var pending = 0;
            foreach (var requestId in requestIds)
            {
                pending += await Queue.FindAsync(requestId, CancellationToken.None) is null ? 0 : 1;
            }

            if (pending == 0)
            {
                return;
            }

            await Worker.RunDueAsync(start + TimeSpan.FromMinutes(10 * step), CancellationToken.None);
        }

        Assert.Fail("the events were still queued after ten rounds of retries");
    }

    private async Task<JsonElement[]> DeadLettersAsync(string service)
        => (await _server.Http.GetFromJsonAsync<JsonElement[]>($"/api/v1/apps/{service}/dev/dead-letters"))!;

    [Fact]
    public async Task An_event_that_fails_twice_is_retried_and_then_succeeds()
    {
        await DeployAsync(JobsYml, JobsJs);

        var requestId = await InvokeEventAsync("jobs-dev-flaky", new { id = "twice", failTimes = 2 });
        var afterFirst = await WaitForFirstFailureAsync(requestId);
        Assert.Equal("Error: attempt 1 of twice failed", afterFirst.LastError);
        await RunRetriesUntilDoneAsync(requestId);

        var logs = await FunctionLogs.WaitForAsync(_server, "jobs", "flaky", lines => lines.Contains("attempt 3 of twice succeeded"));
        Assert.Equal(3, logs.Count(l => l.StartsWith($"START RequestId: {requestId}", StringComparison.Ordinal)));
        Assert.Contains("attempt 2 of twice fails", logs);
        Assert.Empty(await DeadLettersAsync("jobs"));
    }

    [Fact]
    public async Task An_event_that_always_fails_ends_in_the_dead_letters_after_three_attempts()
    {
        await DeployAsync(JobsYml, JobsJs);

        var requestId = await InvokeEventAsync("jobs-dev-flaky", new { id = "never", failTimes = 99 });
        await WaitForFirstFailureAsync(requestId);
        await RunRetriesUntilDoneAsync(requestId);

        var letter = Assert.Single(await DeadLettersAsync("jobs"));
        Assert.Equal(requestId, letter.GetProperty("requestId").GetString());
        Assert.Equal("flaky", letter.GetProperty("function").GetString());
        Assert.Equal("never", letter.GetProperty("payload").GetProperty("id").GetString());
        Assert.Equal("Error: attempt 3 of never failed", letter.GetProperty("error").GetString());
        Assert.Equal(3, letter.GetProperty("attempts").GetInt32());
        Assert.True(letter.GetProperty("failedAt").GetDateTimeOffset() >= letter.GetProperty("enqueuedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Queued_events_survive_a_restart_and_events_of_a_crashed_server_run_again()
    {
        await DeployAsync(JobsYml, JobsJs);
        var waiting = await InvokeEventAsync("jobs-dev-flaky", new { id = "restart", failTimes = 99 });
        var target = (await WaitForFirstFailureAsync(waiting)).Target;
        await _server.StopAsync();

        // Leave behind what a server that died mid-invocation leaves: an event it had taken, with its lease running.
        var crashed = Guid.NewGuid().ToString();
        await using (var queue = _server.OpenAsyncEventQueue())
        {
            await queue.EnqueueAsync(crashed, target, """{"id":"crashed","failTimes":0}"""u8.ToArray(), CancellationToken.None);
            Assert.Contains(await queue.TakeDueAsync(DateTimeOffset.UtcNow, 10, TimeSpan.FromMinutes(16), CancellationToken.None), e => e.RequestId == crashed);
        }

        await _server.StartAsync();

        Assert.Equal(1, (await Queue.FindAsync(waiting, CancellationToken.None))!.Attempts);
        // The crashed server's lease is released at start-up, so its event may already have run by now (within
        // seconds, not after the 16-minute lease): the log line below is what proves it ran again.
        await RunRetriesUntilDoneAsync(waiting, crashed);

        await FunctionLogs.WaitForAsync(_server, "jobs", "flaky", lines => lines.Contains("attempt 1 of crashed succeeded"));
        var letter = Assert.Single(await DeadLettersAsync("jobs"));
        Assert.Equal((waiting, 3), (letter.GetProperty("requestId").GetString(), letter.GetProperty("attempts").GetInt32()));
    }

    [Fact]
    public async Task Schedules_fire_their_function_and_follow_deploys_and_removal()
    {
        var app = TestApp.Create("""
            service: clock
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              tick:
                handler: handler.tick
                events:
                  - schedule: rate(1 minute)
                  - schedule:
                      rate: cron(0 12 * * ? *)
                      input:
                        job: noon
                  - schedule: {rate: rate(2 minutes), enabled: false}
            """, ("handler.js", ClockJs));
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        var scheduler = _server.Services.GetRequiredService<FunctionScheduler>();

        var now = DateTimeOffset.UtcNow;
        await scheduler.TickAsync(now, CancellationToken.None);
        Assert.Equal(2, await scheduler.TickAsync(now.AddDays(1), CancellationToken.None));

        var logs = await FunctionLogs.WaitForAsync(_server, "clock", "tick",
            lines => lines.Count(l => l.StartsWith("tick ", StringComparison.Ordinal)) >= 2);
        var events = logs.Where(l => l.StartsWith("tick ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l["tick ".Length..]).RootElement).ToList();
        var scheduled = Assert.Single(events, e => e.TryGetProperty("detail-type", out _));
        Assert.Equal("Scheduled Event", scheduled.GetProperty("detail-type").GetString());
        Assert.Equal("aws.events", scheduled.GetProperty("source").GetString());
        Assert.Equal("arn:aws:events:local:000000000000:rule/clock-dev-tick-schedule-1", scheduled.GetProperty("resources")[0].GetString());
        Assert.Single(events, e => e.TryGetProperty("job", out var job) && job.GetString() == "noon");

        // A new revision brings its own schedules; the old ones stop.
        File.WriteAllText(Path.Combine(app, "serverless.yml"), File.ReadAllText(Path.Combine(app, "serverless.yml"))
            .Replace("- schedule: rate(1 minute)", "- schedule: rate(3 days)", StringComparison.Ordinal)
            .Replace("rate: cron(0 12 * * ? *)", "rate: rate(7 days)", StringComparison.Ordinal));
        deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        now = DateTimeOffset.UtcNow;
        await scheduler.TickAsync(now, CancellationToken.None);
        Assert.Equal(0, await scheduler.TickAsync(now.AddDays(2), CancellationToken.None));
        Assert.Equal(1, await scheduler.TickAsync(now.AddDays(3.5), CancellationToken.None));

        var removed = await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal(0, await scheduler.TickAsync(now.AddDays(30), CancellationToken.None));
    }
}
