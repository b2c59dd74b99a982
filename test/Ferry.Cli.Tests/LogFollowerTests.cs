using System.Net;
using Ferry.Cli.Api;
using Ferry.Cli.Commands;
using Ferry.Cli.Tests.Support;
using static Ferry.Cli.Tests.NdjsonLogReaderTests;

namespace Ferry.Cli.Tests;

public sealed class LogFollowerTests : IDisposable
{
    private static readonly AppTarget App = new("hello", "dev", "local");
    private readonly StubHttpHandler _http = new();
    private readonly FerryApiClient _client;
    private readonly StringWriter _status = new();
    private readonly List<TimeSpan> _delays = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<long> _received = [];

    public LogFollowerTests() => _client = FerryApiClient.Create(new Uri(TestCli.ServerUrl), null, _http);

    public void Dispose()
    {
        _client.Dispose();
        _stop.Dispose();
    }

    private LogFollower CreateFollower(string? function = null) => new(_client, App, function, _status, (delay, _) =>
    {
        _delays.Add(delay);
        return Task.CompletedTask;
    });

    /// <summary>Answers the n-th stream request (1-based) with <paramref name="answers"/>[n-1]; after the last one, stops following.</summary>
    private void AnswerInTurn(params Func<HttpResponseMessage>[] answers)
    {
        var count = 0;
        _http.Responder = (_, cancellationToken) =>
        {
            var index = Interlocked.Increment(ref count) - 1;
            if (index < answers.Length)
            {
                return Task.FromResult(answers[index]());
            }

            _stop.Cancel();
            throw new OperationCanceledException(cancellationToken);
        };
    }

    private IEnumerable<string> RequestedAfterIds => _http.Requests.Select(r =>
        System.Web.HttpUtility.ParseQueryString(r.Uri.Query)["after"] ?? "(none)");

    [Fact]
    public async Task A_dropped_stream_is_resumed_after_the_last_line_seen()
    {
        AnswerInTurn(
            () => StubHttpHandler.Ndjson(Line(5) + "\n\n" + Line(6) + "\n"),
            () => StubHttpHandler.Ndjson("\n" + Line(6) + "\n" + Line(7) + "\n"));

        var follower = CreateFollower();
        await follower.FollowAsync(4, line => _received.Add(line.Id), _stop.Token);

        Assert.Equal([5, 6, 7], _received);
        Assert.Equal(["4", "6", "7"], RequestedAfterIds);
        Assert.Equal(7, follower.LastId);
        Assert.Contains("Log stream dropped (the server closed the stream); reconnecting in 1 s", _status.ToString());
        Assert.Contains("Reconnected to the log stream.", _status.ToString());
    }

    [Fact]
    public async Task Without_a_starting_id_the_first_request_has_no_after_and_filters_by_function()
    {
        AnswerInTurn(() => StubHttpHandler.Ndjson(Line(1) + "\n"));

        await CreateFollower("hello").FollowAsync(null, line => _received.Add(line.Id), _stop.Token);

        var first = _http.Requests[0];
        Assert.Equal("/api/v1/apps/hello/dev/logs/stream?region=local&function=hello", first.PathAndQuery);
        Assert.Equal("application/x-ndjson", first.Headers.Accept.Single().MediaType);
        Assert.Equal(["(none)", "1"], RequestedAfterIds);
    }

    [Fact]
    public async Task Repeated_failures_back_off_exponentially_up_to_a_limit()
    {
        Func<HttpResponseMessage> refused = () => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (ferry.test:8080)");
        AnswerInTurn(refused, refused, refused, refused, refused, refused, refused);

        await CreateFollower().FollowAsync(9, line => _received.Add(line.Id), _stop.Token);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], _delays.Select(d => d.TotalSeconds));
        Assert.All(RequestedAfterIds, after => Assert.Equal("9", after));
        Assert.Contains("Log stream dropped (Connection refused (ferry.test:8080)); reconnecting in 1 s", _status.ToString());
    }

    [Fact]
    public async Task Receiving_lines_resets_the_backoff()
    {
        Func<HttpResponseMessage> refused = () => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        AnswerInTurn(refused, refused, () => StubHttpHandler.Ndjson(Line(3) + "\n"), refused);

        await CreateFollower().FollowAsync(null, line => _received.Add(line.Id), _stop.Token);

        Assert.Equal([1, 2, 1, 2], _delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task A_client_error_ends_following()
    {
        AnswerInTurn(() => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "No app hello."));

        var error = await Assert.ThrowsAsync<FerryApiException>(
            () => CreateFollower().FollowAsync(null, line => _received.Add(line.Id), _stop.Token));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Empty(_delays);
    }

    [Fact]
    public async Task A_server_error_is_retried()
    {
        AnswerInTurn(() => StubHttpHandler.ApiError(HttpStatusCode.ServiceUnavailable, "unavailable", "Starting up."));

        await CreateFollower().FollowAsync(null, line => _received.Add(line.Id), _stop.Token);

        Assert.Contains("server error 503: Starting up.", _status.ToString());
        Assert.Equal(2, _http.Requests.Count);
    }
}
