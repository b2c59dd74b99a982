using System.Net;
using System.Text;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

/// <summary>Whole commands against a stub server: what they request, print and exit with.</summary>
public sealed class CommandTests : IDisposable
{
    private static readonly DateTimeOffset Updated = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();
    private string Error => _cli.Error.ToString();

    private static AppInfo SampleApp() => new(
        "hello", "dev", "local", 3, "http://ferry.test:8080/hello/dev",
        [new FunctionInfo("api", "nodejs20.x", "event", "handler.api", 1024, 6, 1)],
        [new RouteInfo("GET", "/users/{id}", "api", "http://ferry.test:8080/hello/dev/users/{id}")],
        [new RevisionInfo(2, new string('a', 64), Updated.AddHours(-1), false), new RevisionInfo(3, new string('b', 64), Updated, true)],
        Updated);

    [Fact]
    public async Task Apps_prints_a_table()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            new AppSummary("hello", "dev", "local", 3, 2, "http://ferry.test:8080/hello/dev", Updated),
        }));

        var exitCode = await _cli.RunAsync("apps");

        Assert.Equal(ExitCodes.Success, exitCode);
        var lines = Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s+SERVICE\s+STAGE\s+REGION\s+REVISION\s+FUNCTIONS\s+UPDATED\s+URL$", lines[0]);
        Assert.Matches(@"^\s+hello\s+dev\s+local\s+3\s+2\s+\S+ \S+\s+http://ferry.test:8080/hello/dev$", lines[1]);
        Assert.Equal("", Error);
    }

    [Fact]
    public async Task Apps_as_json_is_the_api_json()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            new AppSummary("hello", "dev", "local", null, 0, "http://ferry.test:8080/hello/dev", Updated),
        }));

        await _cli.RunAsync("apps", "--output", "json");

        var apps = System.Text.Json.JsonSerializer.Deserialize<AppSummary[]>(Out, ApiJson.Options)!;
        Assert.Equal("hello", Assert.Single(apps).Service);
        Assert.Contains("\"functionCount\": 0", Out);
    }

    [Fact]
    public async Task Info_shows_routes_with_full_urls_and_marks_the_active_revision()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleApp()));

        var exitCode = await _cli.RunAsync("info", "--service", "hello");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("hello (stage dev, region local) revision 3", Out);
        Assert.Matches(@"GET\s+http://ferry.test:8080/hello/dev/users/\{id\}\s+→ api", Out);
        Assert.Matches(@"api\s+nodejs20.x\s+event\s+handler.api\s+1024 MB\s+6 s\s+1", Out);
        Assert.Matches(@"\*\s+3\s+\S+ \S+\s+bbbbbbbbbbbb", Out);
        Assert.Matches(@"\n\s+2\s+\S+ \S+\s+aaaaaaaaaaaa", Out);
    }

    [Fact]
    public async Task An_unknown_app_is_a_user_error_with_the_servers_message()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "No app nope in stage dev, region local."));

        var exitCode = await _cli.RunAsync("info", "--service", "nope");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Equal("error: No app nope in stage dev, region local.", Error.Trim());
        Assert.Equal("", Out);
    }

    [Fact]
    public async Task A_server_failure_exits_with_2()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.InternalServerError, "internal", "database is locked"));

        var exitCode = await _cli.RunAsync("apps");

        Assert.Equal(ExitCodes.ServerError, exitCode);
        Assert.Contains("Ferry server error (500 internal): database is locked", Error);
    }

    [Fact]
    public async Task An_unreachable_server_exits_with_2_and_the_hint()
    {
        _cli.Http.Responder = (_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (ferry.test:8080)");

        var exitCode = await _cli.RunAsync("apps");

        Assert.Equal(ExitCodes.ServerError, exitCode);
        Assert.Equal(
            "error: cannot reach Ferry at http://ferry.test:8080: Connection refused (ferry.test:8080) (is `ferry server` running? set FERRY_URL)",
            Error.Trim());
    }

    [Fact]
    public async Task Invoke_pretty_prints_a_json_result()
    {
        _cli.Http.Respond(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"statusCode":200,"body":"hi"}""", Encoding.UTF8, "application/json"),
        });

        var exitCode = await _cli.RunAsync("invoke", "--service", "hello", "-f", "api", "--data", """{"name":"x"}""");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("{\n  \"statusCode\": 200,\n  \"body\": \"hi\"\n}", Out.Trim().ReplaceLineEndings("\n"));
        Assert.Equal("""{"name":"x"}""", Assert.Single(_cli.Http.Requests).Body);
    }

    [Fact]
    public async Task Invoke_with_json_output_prints_the_raw_body_and_reads_path_files()
    {
        _cli.WriteFile("event.json", """{"from":"file"}""");
        _cli.Http.Respond(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"ok":true}""") });

        await _cli.RunAsync("invoke", "--service", "hello", "-f", "api", "--path", "event.json", "-o", "json");

        Assert.Equal("""{"ok":true}""", Out.Trim());
        Assert.Equal("""{"from":"file"}""", Assert.Single(_cli.Http.Requests).Body);
    }

    [Fact]
    public async Task Invoke_sends_an_empty_object_without_data_and_rejects_invalid_json()
    {
        _cli.Http.Respond(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("null") });

        await _cli.RunAsync("invoke", "--service", "hello", "-f", "api");
        var exitCode = await _cli.RunAsync("invoke", "--service", "hello", "-f", "api", "--data", "{oops");

        Assert.Equal("{}", Assert.Single(_cli.Http.Requests).Body);
        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("The event in --data is not valid JSON", Error);
    }

    [Fact]
    public async Task A_failing_function_prints_its_error_to_stderr_and_exits_with_1()
    {
        _cli.Http.Respond(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"errorType":"TypeError","errorMessage":"x is undefined","stackTrace":["at handler (handler.js:3:9)"]}"""),
            };
            response.Headers.Add("X-Ferry-Function-Error", "Unhandled");
            response.Headers.Add("X-Ferry-Request-Id", "req-42");
            return response;
        });

        var exitCode = await _cli.RunAsync("invoke", "--service", "hello", "-f", "api");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Equal("", Out);
        Assert.Equal(
            ["error: function api failed (Unhandled, request req-42):", "  TypeError: x is undefined", "    at handler (handler.js:3:9)"],
            Error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Remove_with_yes_deletes_and_confirms_and_says_what_data_was_kept()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new RemoveResult([], ["bucket photos", "database main"])));

        var exitCode = await _cli.RunAsync("remove", "--service", "hello", "--stage", "prod", "--yes");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal(HttpMethod.Delete, Assert.Single(_cli.Http.Requests).Method);
        Assert.Equal(
            "Removed hello (stage prod, region local)\n  kept bucket photos, database main (remove with --delete-data to delete them)",
            Out.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Remove_with_delete_data_reports_what_was_deleted()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new RemoveResult(["bucket photos"], [])));

        var exitCode = await _cli.RunAsync("remove", "--service", "hello", "--delete-data", "--yes");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.EndsWith("deleteData=true", Assert.Single(_cli.Http.Requests).PathAndQuery);
        Assert.Contains("deleted bucket photos", Out);
    }

    [Fact]
    public async Task Remove_without_yes_asks_on_a_terminal_and_refuses_otherwise()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new RemoveResult([], [])));

        var refused = await _cli.RunAsync("remove", "--service", "hello");
        Assert.Equal(ExitCodes.UserError, refused);
        Assert.Contains("pass --yes", Error);
        Assert.Empty(_cli.Http.Requests);

        _cli.InIsTerminal = true;
        _cli.StdIn = "y\n";
        var confirmed = await _cli.RunAsync("remove", "--service", "hello");
        Assert.Equal(ExitCodes.Success, confirmed);
        Assert.Single(_cli.Http.Requests);
    }

    [Fact]
    public async Task Logs_prints_time_function_request_prefix_and_marks_stderr()
    {
        var time = new DateTimeOffset(2024, 5, 1, 12, 0, 1, 123, TimeSpan.Zero);
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            new LogLine(1, time, "api", "0123456789abcdef", "i1", "stdout", "handling request"),
            new LogLine(2, time, "api", null, "i1", "stderr", "warning: slow"),
        }));

        var exitCode = await _cli.RunAsync("logs", "--service", "hello", "-f", "api", "--since", "1h", "--filter", "req");

        Assert.Equal(ExitCodes.Success, exitCode);
        var local = time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            [$"{local}  api  [01234567]  handling request", $"{local}  api  [-       ]  ! warning: slow"],
            Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        var query = System.Web.HttpUtility.ParseQueryString(Assert.Single(_cli.Http.Requests).Uri.Query);
        Assert.Equal("api", query["function"]);
        Assert.Equal("req", query["contains"]);
        Assert.Equal(_cli.Time.GetUtcNow().AddHours(-1), DateTimeOffset.Parse(query["since"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Logs_tail_follows_the_stream_after_the_last_stored_line_until_cancelled()
    {
        using var stop = new CancellationTokenSource();
        var time = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        _cli.Http.Responder = (request, cancellationToken) =>
        {
            if (!request.RequestUri!.AbsolutePath.EndsWith("/stream", StringComparison.Ordinal))
            {
                return Task.FromResult(StubHttpHandler.Json(HttpStatusCode.OK, new[] { new LogLine(10, time, "api", null, "i1", "stdout", "stored") }));
            }

            if (_cli.Http.Requests.Count == 2)
            {
                return Task.FromResult(StubHttpHandler.Ndjson(
                    "\n" + NdjsonLogReaderTests.Line(11, "live match") + "\n" + NdjsonLogReaderTests.Line(12, "other") + "\n"));
            }

            stop.Cancel();
            throw new OperationCanceledException(cancellationToken);
        };

        var exitCode = await _cli.RunAsync(stop.Token, "logs", "--service", "hello", "--tail", "--output", "json", "--filter", "MATCH");

        Assert.Equal(ExitCodes.Success, exitCode);
        var printed = Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize<LogLine>(line, ApiJson.Options)!.Id);
        Assert.Equal([10, 11], printed);
        Assert.Contains("after=10", _cli.Http.Requests[1].PathAndQuery);
        Assert.Contains("after=12", _cli.Http.Requests[2].PathAndQuery);
    }
}
