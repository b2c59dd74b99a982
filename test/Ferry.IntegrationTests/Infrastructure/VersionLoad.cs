using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// Clients that call an app's <c>GET /version</c> in a loop while a test redeploys it (<see cref="App"/> makes the
/// app), keeping every answer with the moment its request was sent, and every failure.
/// </summary>
internal sealed class VersionLoad : IAsyncDisposable
{
    private readonly List<VersionAnswer> _answers = [];
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients;

    private VersionLoad(HttpClient http, string path, int clients)
    {
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => CallAsync(http, path)))];
    }

    /// <summary>A Python app <paramref name="service"/> whose <c>GET /version</c> sleeps <paramref name="seconds"/> and answers <c>{"version": N}</c>.</summary>
    public static string App(string service, int version, double seconds) => TestApp.Create($$"""
        service: {{service}}
        provider:
          name: aws
          runtime: python3.11
        functions:
          version:
            handler: app.handler
            events:
              - httpApi: 'GET /version'
        """, ("app.py", FormattableString.Invariant($"import time\n\ndef handler(event, context):\n    time.sleep({seconds})\n    return {{'version': {version}}}\n")));

    /// <summary>Starts <paramref name="clients"/> loops calling <paramref name="path"/> (for example <c>/shop/dev/version</c>).</summary>
    public static VersionLoad Start(HttpClient http, string path, int clients) => new(http, path, clients);

    /// <summary>A copy of the answers so far.</summary>
    public IReadOnlyList<VersionAnswer> Answers
    {
        get { lock (_answers) { return [.. _answers]; } }
    }

    /// <summary>A copy of the failures so far (status and body).</summary>
    public IReadOnlyList<string> Failures
    {
        get { lock (_answers) { return [.. _failures]; } }
    }

    /// <summary>Polls the answers until <paramref name="condition"/> holds; fails the test after 2 minutes (a bound, no timing assertion).</summary>
    public async Task WaitUntilAsync(string what, Func<IReadOnlyList<VersionAnswer>, bool> condition)
    {
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(2); waited += TimeSpan.FromMilliseconds(20))
        {
            if (condition(Answers))
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"waited 2 min for {what}; {Answers.Count} answers, failures: {string.Join(" | ", Failures.Take(5))}");
    }

    /// <summary>Stops the clients once their requests in flight are answered.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task CallAsync(HttpClient http, string path)
    {
        while (!_stop.IsCancellationRequested)
        {
            var sentAt = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            lock (_answers)
            {
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _answers.Add(new VersionAnswer(sentAt, JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt32()));
                }
                else
                {
                    _failures.Add($"{(int)response.StatusCode} {text}");
                }
            }
        }
    }
}

/// <summary>One answer of <see cref="VersionLoad"/>: when its request was sent (<see cref="Stopwatch.GetTimestamp"/>) and the version that answered.</summary>
internal sealed record VersionAnswer(long SentAt, int Version);
