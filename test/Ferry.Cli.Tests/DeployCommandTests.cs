using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

public sealed class DeployCommandTests : IDisposable
{
    private const string Manifest = """
        service: hello
        provider:
          name: ferry
          runtime: nodejs20.x
          environment:
            GREETING: ${param:greeting}
        params:
          default:
            greeting: Hello
        package:
          patterns:
            - '!secrets/**'
        functions:
          hello:
            handler: handler.hello
            events:
              - httpApi: 'GET /hello'
        """;

    private readonly TestCli _cli = new();

    public DeployCommandTests()
    {
        _cli.WriteFile("serverless.yml", Manifest);
        _cli.WriteFile("handler.js", "exports.hello = async () => ({ statusCode: 200 });");
        _cli.WriteFile("secrets/key.pem", "not for upload");
    }

    public void Dispose() => _cli.Dispose();

    private static DeploymentResult Result(params string[] warnings) => new(
        "hello", "prod", "local", 3, "http://ferry.test:8080/hello/prod",
        [new FunctionInfo("hello", "nodejs20.x", "event", "handler.hello", 1024, 6, 0)],
        [new RouteInfo("GET", "/hello", "hello", "http://ferry.test:8080/hello/prod/hello")],
        warnings);

    [Fact]
    public async Task Deploy_uploads_the_resolved_manifest_and_the_packaged_folder()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, Result()));

        var exitCode = await _cli.RunAsync("deploy", "--stage", "prod", "--param", "greeting=Hi");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = Assert.Single(_cli.Http.Requests);
        Assert.Equal("/api/v1/deployments", request.PathAndQuery);

        using var manifest = JsonDocument.Parse(request.Parts.Single(p => p.Name == "manifest").Text);
        Assert.Equal("hello", manifest.RootElement.GetProperty("service").GetString());
        var provider = manifest.RootElement.GetProperty("provider");
        Assert.Equal("prod", provider.GetProperty("stage").GetString());
        Assert.Equal("Hi", provider.GetProperty("environment").GetProperty("GREETING").GetString());

        using var zip = new ZipArchive(new MemoryStream(request.Parts.Single(p => p.Name == "archive").Content));
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("handler.js", entries);
        Assert.Contains("serverless.yml", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("secrets/", StringComparison.Ordinal));

        Assert.Contains("Deployed hello (stage prod, region local) revision 3", _cli.Out.ToString());
        Assert.Matches(@"GET\s+http://ferry.test:8080/hello/prod/hello\s+→ hello", _cli.Out.ToString());
        Assert.Matches(@"Packaged hello: \d+ files", _cli.Error.ToString());
    }

    [Fact]
    public async Task Json_output_is_only_the_deployment_result_and_server_warnings_go_to_stderr()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, Result("function hello has no routes")));

        var exitCode = await _cli.RunAsync("deploy", "-o", "json");

        Assert.Equal(ExitCodes.Success, exitCode);
        var result = JsonSerializer.Deserialize<DeploymentResult>(_cli.Out.ToString(), ApiJson.Options)!;
        Assert.Equal(3, result.Revision);
        Assert.Contains("warning: function hello has no routes", _cli.Error.ToString());
    }

    [Fact]
    public async Task Manifest_errors_are_printed_with_their_location_and_nothing_is_uploaded()
    {
        _cli.WriteFile("serverless.yml", Manifest.Replace("runtime: nodejs20.x", "runtime: cobol85", StringComparison.Ordinal));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Matches(@"^serverless\.yml:4:\d+: error: .*cobol85", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task A_missing_manifest_is_a_user_error()
    {
        var exitCode = await _cli.RunAsync("deploy", "--dir", "secrets");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("No service manifest (serverless.yml, serverless.yaml or serverless.json) in ", _cli.Error.ToString());
    }

    [Fact]
    public async Task A_rejected_deployment_shows_the_servers_details()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(
            HttpStatusCode.UnprocessableEntity, "manifest_invalid", "The deployment was rejected.",
            new Server.Api.ApiErrorDetail("handler file handler.js not found in the archive", "serverless.yml", 16, 14)));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("error: The deployment was rejected.", _cli.Error.ToString());
        Assert.Contains("  serverless.yml:16:14: handler file handler.js not found in the archive", _cli.Error.ToString());
    }
}
