using Ferry.Cli.Tests.Support;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry invoke local</c>'s options and errors before any function runs (running ones: the integration tests).</summary>
public sealed class InvokeLocalCommandTests : IDisposable
{
    private const string Manifest = """
        service: shop
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          api:
            handler: handler.api
          site:
            runtime: web
            command: node server.js
        """;

    private readonly TestCli _cli = new();

    public InvokeLocalCommandTests() => _cli.WriteFile("serverless.yml", Manifest);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Data_and_path_together_are_a_usage_error()
    {
        var exitCode = await _cli.RunAsync("invoke", "local", "-f", "api", "--data", "{}", "--path", "event.json");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("either --data or --path", _cli.Error.ToString());
        Assert.Contains("ferry invoke local --help", _cli.Error.ToString());
    }

    [Fact]
    public async Task The_function_option_is_required()
    {
        var exitCode = await _cli.RunAsync("invoke", "local");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("--function", _cli.Error.ToString());
    }

    [Fact]
    public async Task An_event_that_is_not_json_is_refused()
    {
        var exitCode = await _cli.RunAsync("invoke", "local", "-f", "api", "--data", "{nope");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("The event in --data is not valid JSON", _cli.Error.ToString());
    }

    [Fact]
    public async Task An_unknown_function_is_named_with_the_known_ones()
    {
        var exitCode = await _cli.RunAsync("invoke", "local", "-f", "nope");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("Service shop has no function 'nope'; its functions are: api, site.", _cli.Error.ToString());
    }

    [Fact]
    public async Task A_web_function_is_refused_without_contacting_a_server()
    {
        var exitCode = await _cli.RunAsync("invoke", "local", "-f", "site");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("web function", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task The_help_says_the_function_is_not_sandboxed()
    {
        await _cli.RunAsync("invoke", "local", "--help");

        Assert.Contains("NOT sandboxed", _cli.Out.ToString());
    }

    [Fact]
    public async Task Plain_invoke_still_calls_the_server()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(System.Net.HttpStatusCode.OK, new { ok = true }));

        var exitCode = await _cli.RunAsync("invoke", "-f", "api", "--data", "{}");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.EndsWith("/functions/api/invoke", Assert.Single(_cli.Http.Requests).Uri.AbsolutePath);
    }
}
