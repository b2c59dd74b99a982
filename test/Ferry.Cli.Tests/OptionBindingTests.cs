using System.CommandLine;
using System.Net;
using Ferry.Cli.Commands;
using Ferry.Cli.Output;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

public sealed class OptionBindingTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private ParseResult Parse(params string[] args) => FerryCli.BuildRootCommand(_cli.Context).Parse(args);

    [Fact]
    public void Repeated_params_are_collected_into_one_dictionary()
    {
        var result = Parse("deploy", "--param", "domain=example.test", "--param", "tier=small");

        Assert.Empty(result.Errors);
        var parameters = result.GetValue<IReadOnlyDictionary<string, string>>("--param")!;
        Assert.Equal(2, parameters.Count);
        Assert.Equal("example.test", parameters["domain"]);
        Assert.Equal("small", parameters["tier"]);
    }

    [Fact]
    public void Without_params_the_dictionary_is_empty()
    {
        var result = Parse("deploy");

        Assert.Empty(result.Errors);
        Assert.Empty(result.GetValue<IReadOnlyDictionary<string, string>>("--param")!);
    }

    [Fact]
    public async Task A_malformed_param_is_a_usage_error_with_exit_code_1()
    {
        var exitCode = await _cli.RunAsync("deploy", "--param", "domain");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("--param 'domain' has no '='", _cli.Error.ToString());
        Assert.Contains("ferry deploy --help", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public void Since_is_resolved_against_the_clock()
    {
        var result = Parse("logs", "--since", "10m");

        Assert.Empty(result.Errors);
        Assert.Equal(_cli.Time.GetUtcNow().AddMinutes(-10), result.GetValue<DateTimeOffset?>("--since"));
    }

    [Fact]
    public void An_invalid_since_is_a_parse_error_showing_the_syntax()
    {
        var result = Parse("logs", "--since", "ten minutes");

        var error = Assert.Single(result.Errors);
        Assert.Contains("'ten minutes' is not a valid --since value", error.Message);
    }

    [Theory]
    [InlineData("json", nameof(OutputFormat.Json))]
    [InlineData("JSON", nameof(OutputFormat.Json))]
    [InlineData("text", nameof(OutputFormat.Text))]
    public void Output_format_is_case_insensitive(string value, string expected)
    {
        var result = Parse("apps", "--output", value);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<OutputFormat>("--output").ToString());
    }

    [Fact]
    public void Output_defaults_to_text_and_rejects_unknown_formats()
    {
        Assert.Equal(OutputFormat.Text, Parse("apps").GetValue<OutputFormat>("--output"));
        Assert.NotEmpty(Parse("apps", "-o", "yaml").Errors);
    }

    [Fact]
    public async Task Data_and_path_together_are_rejected()
    {
        var exitCode = await _cli.RunAsync("invoke", "-f", "hello", "--service", "app", "--data", "{}", "--path", "event.json");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("either --data or --path", _cli.Error.ToString());
    }

    [Fact]
    public async Task With_a_service_and_no_stage_the_default_stage_and_region_are_used()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "gone"));

        await _cli.RunAsync("info", "--service", "hello");

        Assert.Equal("/api/v1/apps/hello/dev?region=local", Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Stage_region_and_names_are_escaped_into_the_path()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "gone"));

        await _cli.RunAsync("invoke", "--service", "hello", "-s", "prod", "-r", "eu west", "-f", "a/b");

        Assert.Equal("/api/v1/apps/hello/prod/functions/a%2Fb/invoke?region=eu%20west", Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Without_service_or_serverless_yml_the_user_is_told_what_to_do()
    {
        var exitCode = await _cli.RunAsync("info");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("No --service given and no serverless.yml", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task The_url_option_overrides_FERRY_URL_and_FERRY_TOKEN_is_sent_as_bearer()
    {
        _cli.Environment["FERRY_TOKEN"] = "s3cret";
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, Array.Empty<AppSummary>()));

        var exitCode = await _cli.RunAsync("apps", "--url", "http://other.test:9000");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = Assert.Single(_cli.Http.Requests);
        Assert.Equal("http://other.test:9000/api/v1/apps", request.Uri.AbsoluteUri);
        Assert.Equal("Bearer s3cret", request.Headers.Authorization?.ToString());
    }

    [Fact]
    public async Task An_invalid_server_url_is_a_user_error()
    {
        _cli.Environment["FERRY_URL"] = "ferry.test:8080";

        var exitCode = await _cli.RunAsync("apps");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("FERRY_URL 'ferry.test:8080' is not an absolute http:// or https:// URL", _cli.Error.ToString());
    }

    [Fact]
    public void Server_options_default_to_FERRY_DATA_resolved_against_the_working_directory()
    {
        _cli.Environment["FERRY_DATA"] = "state";

        var options = ServerCommand.BuildOptions(_cli.Context, [], dataDirectory: null, insecureNoSandbox: false);

        Assert.Equal(Path.Combine(_cli.WorkingDirectory, "state"), options.DataDirectory);
        Assert.Equal(["http://127.0.0.1:8080"], options.Urls);
        Assert.False(options.InsecureNoSandbox);
    }

    [Fact]
    public void Server_options_take_data_and_semicolon_separated_urls()
    {
        var options = ServerCommand.BuildOptions(_cli.Context, ["http://127.0.0.1:9000;http://[::1]:9000"], "/srv/ferry", true);

        Assert.Equal("/srv/ferry", options.DataDirectory);
        Assert.Equal(["http://127.0.0.1:9000", "http://[::1]:9000"], options.Urls);
        Assert.True(options.InsecureNoSandbox);
        Assert.Equal(Path.Combine(_cli.WorkingDirectory, ".ferry-data"),
            ServerCommand.BuildOptions(_cli.Context, [], null, false).DataDirectory);
    }

    [Fact]
    public void Server_urls_must_be_http_urls()
    {
        Assert.Empty(Parse("server", "--urls", "http://*:8080").Errors);
        Assert.Contains(Parse("server", "--urls", "localhost:8080").Errors, e => e.Message.Contains("'localhost:8080'"));
    }
}
