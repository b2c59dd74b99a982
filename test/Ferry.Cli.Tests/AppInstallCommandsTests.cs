using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry app install | list | upgrade | rollback</c> and <c>ferry hub add | list</c> against a stub server.</summary>
public sealed class AppInstallCommandsTests : IDisposable
{
    private const string Secret = "s3cr3tValue42XYZ";
    private const string BaseUrl = "http://ferry.test:8080/thumbs/prod";
    private static readonly DateTimeOffset Updated = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();
    private string Error => _cli.Error.ToString();

    private static InstallInfo Install(string version = "1.0.0", string? updateAvailable = null, IReadOnlyList<ChangelogEntry>? changelog = null) => new(
        "thumbs", "prod", "local", "local", "image-resizer", version, 4, BaseUrl,
        new Dictionary<string, string> { ["size"] = "large", ["apiKey"] = "••••••" },
        updateAvailable, changelog ?? [], Updated);

    private static AppInfo App() => new(
        "thumbs", "prod", "local", 4, BaseUrl,
        [new FunctionInfo("resize", "nodejs20.x", "event", "handler.resize", 256, 6, 0)],
        [new RouteInfo("POST", "/resize", "resize", BaseUrl + "/resize")],
        [], Updated);

    private void RespondToInstall(HttpResponseMessage installAnswer)
        => _cli.Http.Respond(request => request.RequestUri!.AbsolutePath switch
        {
            "/api/v1/installs" => installAnswer,
            "/api/v1/apps/thumbs/prod" => StubHttpHandler.Json(HttpStatusCode.OK, App()),
            _ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "unexpected " + request.RequestUri),
        });

    [Fact]
    public async Task Install_sends_the_template_version_target_and_parameters_and_prints_the_app()
    {
        RespondToInstall(StubHttpHandler.Json(HttpStatusCode.Created, Install()));

        var exitCode = await _cli.RunAsync(
            "app", "install", "image-resizer@1.0.0", "--name", "thumbs", "--stage", "prod", "--hub", "acme",
            "--param", "size=large", "--param", $"apiKey={Secret}");

        Assert.Equal(ExitCodes.Success, exitCode);
        var install = _cli.Http.Requests[0];
        Assert.Equal(HttpMethod.Post, install.Method);
        Assert.Equal("/api/v1/installs", install.PathAndQuery);
        var request = JsonSerializer.Deserialize<InstallRequest>(install.Body, ApiJson.Options)!;
        Assert.Equal(("image-resizer", "1.0.0", "acme", "thumbs", "prod", null), (request.Template, request.Version, request.Hub, request.Name, request.Stage, request.Region));
        Assert.Equal(new Dictionary<string, string> { ["size"] = "large", ["apiKey"] = Secret }, request.Parameters);

        Assert.Contains("Installed image-resizer@1.0.0 as thumbs (stage prod, region local), revision 4", Out);
        Assert.Contains($"Base URL: {BaseUrl}", Out);
        Assert.Matches(@"POST\s+http://ferry.test:8080/thumbs/prod/resize\s+→ resize", Out);
        Assert.Matches(@"\s+apiKey\s+••••••", Out);
        Assert.Matches(@"\s+size\s+large", Out);
        Assert.DoesNotContain(Secret, Out + Error);
    }

    [Fact]
    public async Task Install_without_a_version_or_parameters_leaves_them_to_the_server()
    {
        RespondToInstall(StubHttpHandler.Json(HttpStatusCode.Created, Install()));

        await _cli.RunAsync("app", "install", "image-resizer");

        var request = JsonSerializer.Deserialize<InstallRequest>(_cli.Http.Requests[0].Body, ApiJson.Options)!;
        Assert.Equal("image-resizer", request.Template);
        Assert.Null(request.Version);
        Assert.Null(request.Parameters);
    }

    [Fact]
    public async Task Install_prints_each_parameter_error_on_its_own_line_without_secrets()
    {
        RespondToInstall(StubHttpHandler.ApiError(
            (HttpStatusCode)422, "parameters_invalid", "2 parameters of image-resizer@1.0.0 are invalid",
            new ApiErrorDetail("size: 'huge' is not one of small, large"),
            new ApiErrorDetail("apiKey: the value does not match the required pattern")));

        var exitCode = await _cli.RunAsync("app", "install", "image-resizer", "--param", "size=huge", "--param", $"apiKey={Secret}");

        Assert.Equal(ExitCodes.UserError, exitCode);
        var lines = Error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["error: 2 parameters of image-resizer@1.0.0 are invalid", "  size: 'huge' is not one of small, large", "  apiKey: the value does not match the required pattern"],
            lines);
        Assert.DoesNotContain(Secret, Out + Error);
    }

    [Theory]
    [InlineData(Secret)]
    [InlineData("=" + Secret)]
    public async Task A_malformed_param_is_rejected_without_echoing_it(string param)
    {
        var exitCode = await _cli.RunAsync("app", "install", "image-resizer", "--param", param);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("--param", Error);
        Assert.DoesNotContain(Secret, Out + Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Param_file_values_are_sent_and_command_line_params_override_them()
    {
        _cli.WriteFile("thumbs.env", $"# secrets for thumbs\n\napiKey={Secret}\nsize=small\r\nurl=http://x.test/?a=b\n");
        RespondToInstall(StubHttpHandler.Json(HttpStatusCode.Created, Install()));

        var exitCode = await _cli.RunAsync("app", "install", "image-resizer", "--param-file", "thumbs.env", "--param", "size=large");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = JsonSerializer.Deserialize<InstallRequest>(_cli.Http.Requests[0].Body, ApiJson.Options)!;
        Assert.Equal(new Dictionary<string, string> { ["apiKey"] = Secret, ["size"] = "large", ["url"] = "http://x.test/?a=b" }, request.Parameters);
    }

    [Fact]
    public async Task A_malformed_param_file_line_is_named_by_number_only()
    {
        var path = _cli.WriteFile("thumbs.env", $"size=small\n{Secret}\n");

        var exitCode = await _cli.RunAsync("app", "install", "image-resizer", "--param-file", "thumbs.env");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains($"{path}:2: a line has no '='", Error);
        Assert.DoesNotContain(Secret, Out + Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task List_shows_available_updates()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            Install("1.0.0", updateAvailable: "1.1.0"),
            Install("2.0.0") with { Service = "avatars", Hub = "acme" },
        }));

        var exitCode = await _cli.RunAsync("app", "list");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/installs", _cli.Http.Requests.Single().PathAndQuery);
        var lines = Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s+SERVICE\s+STAGE\s+TEMPLATE\s+VERSION\s+STATUS$", lines[0]);
        Assert.Matches(@"^\s+avatars\s+prod\s+acme/image-resizer\s+2\.0\.0\s+up to date$", lines[1]);
        Assert.Matches(@"^\s+thumbs\s+prod\s+image-resizer\s+1\.0\.0\s+update available \(1\.0\.0 → 1\.1\.0\)$", lines[2]);
    }

    [Fact]
    public async Task List_as_json_keeps_update_available()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[] { Install("1.0.0", updateAvailable: "1.1.0") }));

        await _cli.RunAsync("app", "list", "--output", "json");

        var installs = JsonSerializer.Deserialize<InstallInfo[]>(Out, ApiJson.Options)!;
        Assert.Equal("1.1.0", Assert.Single(installs).UpdateAvailable);
    }

    private void RespondToUpgrade(UpgradeResult result, InstallInfo current)
        => _cli.Http.Respond(request => request.RequestUri!.AbsolutePath switch
        {
            "/api/v1/installs" => StubHttpHandler.Json(HttpStatusCode.OK, new[] { current }),
            "/api/v1/installs/thumbs/prod/upgrade" => StubHttpHandler.Json(HttpStatusCode.OK, result),
            _ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "unexpected " + request.RequestUri),
        });

    [Fact]
    public async Task Upgrade_shows_the_changelog_then_the_outcome()
    {
        var current = Install("1.0.0", "1.2.0", [new("1.2.0", "Adds avif"), new("1.1.0", "Adds webp"), new("1.0.0", "First")]);
        RespondToUpgrade(new UpgradeResult("upgraded", null, "1.0.0", "1.1.0", Install("1.1.0")), current);

        var exitCode = await _cli.RunAsync("app", "upgrade", "thumbs", "--stage", "prod", "--to", "1.1.0", "--param", "size=small");

        Assert.Equal(ExitCodes.Success, exitCode);
        var upgrade = _cli.Http.Requests[1];
        Assert.Equal("/api/v1/installs/thumbs/prod/upgrade?region=local", upgrade.PathAndQuery);
        var request = JsonSerializer.Deserialize<UpgradeRequest>(upgrade.Body, ApiJson.Options)!;
        Assert.Equal("1.1.0", request.To);
        Assert.Equal("small", request.Parameters!["size"]);

        var output = Out;
        Assert.Contains("Changelog of image-resizer since 1.0.0", output);
        Assert.Contains("    Adds webp", output);
        Assert.DoesNotContain("Adds avif", output);
        Assert.DoesNotContain("First", output);
        Assert.True(output.IndexOf("Adds webp", StringComparison.Ordinal) < output.IndexOf("Upgraded thumbs 1.0.0 → 1.1.0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upgrade_that_was_rolled_back_says_why_and_exits_with_1()
    {
        RespondToUpgrade(new UpgradeResult("rolled_back", "health check failed: GET / answered 500", "1.0.0", "1.1.0", Install("1.0.0")), Install("1.0.0", "1.1.0"));

        var exitCode = await _cli.RunAsync("app", "upgrade", "thumbs", "--stage", "prod");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("Rolled back thumbs to 1.0.0: health check failed: GET / answered 500", Out);
        Assert.Null(JsonSerializer.Deserialize<UpgradeRequest>(_cli.Http.Requests[1].Body, ApiJson.Options)!.To);
    }

    [Fact]
    public async Task Upgrade_rejects_an_invalid_target_version()
    {
        var exitCode = await _cli.RunAsync("app", "upgrade", "thumbs", "--to", "latest");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("--to 'latest' is not a valid version", Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Rollback_posts_without_a_body_and_prints_the_version()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, Install("1.0.0")));

        var exitCode = await _cli.RunAsync("app", "rollback", "thumbs", "--stage", "prod", "--region", "eu");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = _cli.Http.Requests.Single();
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v1/installs/thumbs/prod/rollback?region=eu", request.PathAndQuery);
        Assert.Equal("", request.Body);
        Assert.Contains("Rolled back thumbs (stage prod) to image-resizer@1.0.0, revision 4.", Out);
    }

    [Fact]
    public async Task Hub_add_sends_the_token_but_never_prints_it()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, new HubInfo("acme", "https://hub.acme.test")));

        var exitCode = await _cli.RunAsync("hub", "add", "acme", "https://hub.acme.test", "--token", "ferry_hubtoken");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = _cli.Http.Requests.Single();
        Assert.Equal("/api/v1/hubs", request.PathAndQuery);
        Assert.Equal(new AddHubRequest("acme", "https://hub.acme.test", "ferry_hubtoken"), JsonSerializer.Deserialize<AddHubRequest>(request.Body, ApiJson.Options));
        Assert.Contains("Added hub acme (https://hub.acme.test).", Out);
        Assert.DoesNotContain("ferry_hubtoken", Out + Error);
    }

    [Theory]
    [InlineData("acme", "hub.acme.test", "--token", "t")]
    [InlineData("acme", "https://hub.acme.test")]
    public async Task Hub_add_needs_an_http_url_and_a_token(params string[] args)
    {
        var exitCode = await _cli.RunAsync(["hub", "add", .. args]);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Hub_list_prints_name_and_url()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[] { new HubInfo("local", "http://ferry.test:8080"), new HubInfo("acme", "https://hub.acme.test") }));

        var exitCode = await _cli.RunAsync("hub", "list");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Matches(@"\s+acme\s+https://hub.acme.test", Out);
    }
}
