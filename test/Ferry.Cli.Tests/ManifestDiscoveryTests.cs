using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

/// <summary>Which manifest the CLI finds, the files it refers to, and handler files checked before anything is uploaded.</summary>
public sealed class ManifestDiscoveryTests : IDisposable
{
    private const string Yaml = """
        service: hello
        provider:
          runtime: nodejs20.x
        functions:
          hello:
            handler: handler.hello
        """;

    /// <summary>Indented with tabs, as JSON often is (YAML allows none between tokens).</summary>
    private const string Json =
        "{\n\t\"service\": \"hello-json\",\n\t\"provider\": { \"runtime\": \"nodejs20.x\" },\n"
        + "\t\"functions\": {\n\t\t\"hello\": { \"handler\": \"handler.hello\" }\n\t}\n}\n";

    private readonly TestCli _cli = new();

    public ManifestDiscoveryTests() => _cli.WriteFile("handler.js", "exports.hello = async () => ({ statusCode: 200 });");

    public void Dispose() => _cli.Dispose();

    private static DeploymentResult Result(string service) => new(service, "dev", "local", 1, $"http://ferry.test:8080/{service}/dev", [], [], []);

    private JsonElement UploadedManifest()
    {
        var request = Assert.Single(_cli.Http.Requests);
        using var manifest = JsonDocument.Parse(request.Parts.Single(p => p.Name == "manifest").Text);
        return manifest.RootElement.Clone();
    }

    [Theory]
    [InlineData("serverless.yaml", Yaml, "hello")]
    [InlineData("serverless.json", Json, "hello-json")]
    public async Task Deploy_finds_serverless_yaml_and_serverless_json(string fileName, string manifest, string service)
    {
        _cli.WriteFile(fileName, manifest);
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, Result(service)));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal(service, UploadedManifest().GetProperty("service").GetString());
    }

    [Fact]
    public async Task Two_manifests_in_the_app_folder_are_an_error_naming_both()
    {
        _cli.WriteFile("serverless.yml", Yaml);
        _cli.WriteFile("serverless.json", Json);

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("has serverless.yml and serverless.json; keep one service manifest, or choose one with --config.", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Commands_acting_on_the_app_find_serverless_yaml_too()
    {
        _cli.WriteFile("serverless.yaml", Yaml);
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "gone"));

        await _cli.RunAsync("info");

        Assert.Equal("/api/v1/apps/hello/dev?region=local", Assert.Single(_cli.Http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task File_variables_are_read_from_the_app_folder_on_the_developers_machine()
    {
        _cli.WriteFile("serverless.yml", Yaml + "\n    environment:\n      DB_HOST: ${file(./config/${sls:stage}.yml):db.host}\n      REGION: ${aws:region}\n");
        _cli.WriteFile("config/prod.yml", "db:\n  host: db.prod.internal\n");
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, Result("hello")));

        var exitCode = await _cli.RunAsync("deploy", "--stage", "prod", "--region", "eu-1");

        Assert.Equal(ExitCodes.Success, exitCode);
        var environment = UploadedManifest().GetProperty("functions")[0].GetProperty("environment");
        Assert.Equal("db.prod.internal", environment.GetProperty("DB_HOST").GetString());
        Assert.Equal("eu-1", environment.GetProperty("REGION").GetString());
    }

    [Fact]
    public async Task A_missing_handler_file_is_reported_once_at_the_handler_line_and_nothing_is_uploaded()
    {
        _cli.WriteFile("serverless.yml", Yaml.Replace("handler.hello", "src/app.hello", StringComparison.Ordinal));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        var lines = _cli.Error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("serverless.yml:6:14: error: functions.hello.handler 'src/app.hello' needs the file src/app.js or src/app.mjs or src/app.cjs in the app folder", line);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task A_handler_written_in_typescript_is_bundled_with_esbuild_before_packaging()
    {
        _cli.WriteFile("serverless.yml", Yaml.Replace("handler.hello", "src/app.hello", StringComparison.Ordinal));
        _cli.WriteFile("src/app.ts", "export const hello = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });");
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, new DeploymentResult(
            "hello", "dev", "local", 1, "http://ferry.test:8080/hello/dev", [], [], [])));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.ToString());
        Assert.Contains("Bundling 1 function with esbuild… done in", _cli.Error.ToString());
        var request = Assert.Single(_cli.Http.Requests);
        Assert.Contains("\"handler\":\".ferry/build/src/app.hello\"", request.Parts.Single(p => p.Name == "manifest").Text);
        using var zip = new ZipArchive(new MemoryStream(request.Parts.Single(p => p.Name == "archive").Content));
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains(".ferry/build/src/app.js", entries);
        Assert.Contains(".ferry/build/src/app.js.map", entries);
        Assert.Contains("src/app.ts", entries);
    }

    [Fact]
    public async Task A_handler_file_left_out_by_package_patterns_is_reported()
    {
        _cli.WriteFile("serverless.yml", Yaml + "\npackage:\n  patterns: ['!*.js']\n");

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("serverless.yml:6:14: error: functions.hello.handler 'handler.hello' needs handler.js, but package.patterns leave it out of the package", _cli.Error.ToString());
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task A_server_error_whose_only_detail_repeats_its_message_prints_it_once()
    {
        _cli.WriteFile("serverless.yml", Yaml);
        const string Problem = "functions.hello: handler 'handler.hello' needs the file handler.js in the app folder, but the archive has none of them";
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.UnprocessableEntity, "handler_missing", Problem, new ApiErrorDetail(Problem)));

        var exitCode = await _cli.RunAsync("deploy");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Single(_cli.Error.ToString().Split('\n'), line => line.Contains(Problem, StringComparison.Ordinal));
    }
}
