using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;
using Ferry.Server.Metering;
using Ferry.Store;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry metrics</c> against a stub server: which app it asks about and what it prints.</summary>
public sealed class MetricsCommandTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();

    private static ErrorReport SampleReport(params ErrorGroupInfo[] errors) => new(
        "hello", "dev", "local", Now.AddHours(-24), Now,
        [
            new FunctionStatsInfo("api", 40, 2, 0.05, 1, 12.34, 250.5, 1500),
            new FunctionStatsInfo("idle", 0, 0, 0, 0, null, null, null),
        ],
        errors);

    [Fact]
    public async Task The_app_comes_from_serverless_yml_and_since_is_sent_as_utc()
    {
        _cli.WriteFile("serverless.yml", "service: hello\nprovider:\n  name: aws\n  stage: prod\n  runtime: nodejs20.x\nfunctions:\n  api:\n    handler: h.api\n");
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        var exitCode = await _cli.RunAsync("metrics", "--since", "2h");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/apps/hello/prod/errors?region=local&since=2024-05-01T10%3A00%3A00.0000000%2B00%3A00",
            Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Without_since_the_servers_default_window_is_used()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        await _cli.RunAsync("metrics", "--service", "hello");

        Assert.Equal("/api/v1/apps/hello/dev/errors?region=local", Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Functions_show_rates_and_percentiles_and_errors_are_listed_most_frequent_first()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport(
            new ErrorGroupInfo("api", InvocationStatus.Error, "TypeError: bad thing\n    at handler (handler.js:3)", 2,
                Now.AddHours(-2), Now.AddMinutes(-5), "0c2f5d8e-req"),
            new ErrorGroupInfo("api", InvocationStatus.Timeout, new string('x', 300), 1, Now.AddHours(-1), Now.AddHours(-1), "77aa-req"))));

        await _cli.RunAsync("metrics", "--service", "hello");

        Assert.Matches(@"FUNCTION\s+INVOCATIONS\s+ERRORS\s+ERROR RATE\s+COLD STARTS\s+P50\s+P95\s+MAX", Out);
        Assert.Matches(@"api\s+40\s+2\s+5\.0%\s+1\s+12\.3 ms\s+250\.5 ms\s+1\.50 s", Out);
        Assert.Matches(@"idle\s+0\s+0\s+-\s+0\s+-\s+-\s+-", Out);
        Assert.Matches(@"2\s+api\s+error\s+\S+ \S+\s+0c2f5d8e-req\s+TypeError: bad thing at handler \(handler.js:3\)", Out);
        Assert.Matches(@"1\s+api\s+timeout\s+\S+ \S+\s+77aa-req\s+x{99}…", Out);
        Assert.True(Out.IndexOf("0c2f5d8e-req", StringComparison.Ordinal) < Out.IndexOf("77aa-req", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_errors_is_said_plainly()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport()));

        await _cli.RunAsync("metrics", "--service", "hello");

        Assert.Contains("(no failed invocations in this window)", Out);
    }

    [Fact]
    public async Task Json_output_is_the_api_report()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, SampleReport(
            new ErrorGroupInfo("api", InvocationStatus.Crash, null, 3, Now, Now, "r1"))));

        await _cli.RunAsync("metrics", "--service", "hello", "--output", "json");

        var report = JsonSerializer.Deserialize<ErrorReport>(Out, ApiJson.Options)!;
        Assert.Equal(InvocationStatus.Crash, Assert.Single(report.Errors).Status);
        Assert.Contains("\"status\": \"crash\"", Out);
        Assert.Null(report.Functions[1].P50DurationMs);
    }

    [Fact]
    public async Task An_unknown_app_is_a_user_error()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "No app 'nope' is deployed to stage 'dev' in region 'local'"));

        var exitCode = await _cli.RunAsync("metrics", "--service", "nope");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("No app 'nope' is deployed", _cli.Error.ToString());
    }
}
