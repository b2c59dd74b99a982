using System.Net;
using System.Text.Json;
using Ferry.Cli.DeployCache;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests.DeployCache;

/// <summary>Deploy cache records on disk, and <c>ferry deploy</c> using them against a stub server.</summary>
public sealed class DeployCacheStoreTests : IDisposable
{
    private static readonly string PackageSha256 = new('a', 64);
    private static readonly string ManifestSha256 = new('b', 64);

    private readonly TestCli _cli = new();
    private readonly string _cacheHome = Directory.CreateTempSubdirectory("ferry-cache-home-").FullName;

    public DeployCacheStoreTests()
    {
        _cli.Environment["XDG_CACHE_HOME"] = _cacheHome;
        _cli.Environment["FERRY_TOKEN"] = "secret-token";
        _cli.WriteFile("serverless.yml", """
            service: hello
            provider:
              name: ferry
              runtime: nodejs20.x
            functions:
              hello:
                handler: handler.hello
                events:
                  - httpApi: 'GET /hello'
            """);
        _cli.WriteFile("handler.js", "exports.hello = async () => ({ statusCode: 200 });");
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_cacheHome, recursive: true);
    }

    private static DeploymentResult Result(bool unchanged = false) => new(
        "hello", "dev", "local", 3, "http://ferry.test:8080/hello/dev",
        [new FunctionInfo("hello", "nodejs20.x", "event", "handler.hello", 1024, 6, 0)],
        [new RouteInfo("GET", "/hello", "hello", "http://ferry.test:8080/hello/dev/hello")],
        [])
    {
        Unchanged = unchanged,
        PackageSha256 = PackageSha256,
        ManifestSha256 = ManifestSha256,
    };

    private DeployCacheStore Store => new(Path.Combine(_cacheHome, "ferry", "deploys"));

    private string RecordPath => Assert.Single(Directory.GetFiles(Store.Directory, "*.json"));

    private void RespondToDeploys(Func<HttpResponseMessage>? unchanged = null)
        => _cli.Http.Respond(request => request.RequestUri!.AbsolutePath switch
        {
            "/api/v1/deployments" => StubHttpHandler.Json(HttpStatusCode.Created, Result()),
            "/api/v1/deployments/unchanged" => unchanged?.Invoke() ?? StubHttpHandler.Json(HttpStatusCode.OK, Result(unchanged: true)),
            var other => throw new InvalidOperationException($"unexpected request {other}"),
        });

    [Fact]
    public async Task The_second_deploy_of_an_unchanged_app_only_asks_the_server()
    {
        RespondToDeploys();

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(["/api/v1/deployments", "/api/v1/deployments/unchanged"], _cli.Http.Requests.Select(r => r.PathAndQuery));
        using var query = JsonDocument.Parse(_cli.Http.Requests[1].Body);
        Assert.Equal("hello", query.RootElement.GetProperty("service").GetString());
        Assert.Equal("dev", query.RootElement.GetProperty("stage").GetString());
        Assert.Equal(PackageSha256, query.RootElement.GetProperty("packageSha256").GetString());
        Assert.Equal(ManifestSha256, query.RootElement.GetProperty("manifestSha256").GetString());
        Assert.Contains("Unchanged: hello (stage dev, region local) stays at revision 3", _cli.Out.ToString());
        Assert.Contains("http://ferry.test:8080/hello/dev/hello", _cli.Out.ToString());
        Assert.Contains("Deploy cache: nothing changed since revision 3", _cli.Error.ToString());
        Assert.DoesNotContain("secret-token", File.ReadAllText(RecordPath), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(RecordPath));
    }

    [Fact]
    public async Task Force_and_a_switched_off_cache_deploy_in_full()
    {
        RespondToDeploys();
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy", "--force"));
        _cli.Environment[DeployCacheStore.SwitchVariable] = "off";
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(["/api/v1/deployments", "/api/v1/deployments?force=true", "/api/v1/deployments"], _cli.Http.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task A_server_that_no_longer_serves_the_revision_gets_a_full_deploy()
    {
        RespondToDeploys(() => StubHttpHandler.ApiError(HttpStatusCode.Conflict, "changed", "hello is not serving that package and manifest"));
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(["/api/v1/deployments", "/api/v1/deployments/unchanged", "/api/v1/deployments"], _cli.Http.Requests.Select(r => r.PathAndQuery));
        Assert.Contains("hello is not serving that package and manifest; deploying in full", _cli.Error.ToString());
        Assert.Single(Directory.GetFiles(Store.Directory, "*.json"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{ not json")]
    [InlineData("""{"format": 1}""")]
    [InlineData("""{"format": 99, "key": null}""")]
    [InlineData("[1, 2, 3]")]
    [InlineData("null")]
    public async Task A_corrupt_record_is_ignored_and_replaced(string content)
    {
        RespondToDeploys();
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));
        File.WriteAllText(RecordPath, content);

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));
        Assert.Contains("Deploy cache: ignored", _cli.Error.ToString());
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy"));

        Assert.Equal(["/api/v1/deployments", "/api/v1/deployments", "/api/v1/deployments/unchanged"], _cli.Http.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public void A_record_of_another_key_in_the_file_is_ignored()
    {
        var key = DeployCacheKey.For(new Uri(TestCli.ServerUrl), null, _cli.WorkingDirectory, Path.Combine(_cli.WorkingDirectory, "serverless.yml"), null, null);
        var record = new DeployCacheRecord
        {
            Key = key with { AppDirectory = "/elsewhere" },
            Inputs = new DeployInputs("build", "p", "c", [], [], [], "f", 0, []),
            Service = "hello",
            Stage = "dev",
            Region = "local",
            Revision = 1,
            PackageSha256 = PackageSha256,
            ManifestSha256 = ManifestSha256,
            DeployedAt = DateTimeOffset.UnixEpoch,
        };
        Directory.CreateDirectory(Store.Directory);
        File.WriteAllText(Store.PathOf(key), JsonSerializer.Serialize(record, DeployJsonContext.Default.DeployCacheRecord));

        Assert.Null(Store.TryLoad(key, out var problem));
        Assert.Contains("belongs to another deploy", problem);
        Assert.True(Store.TrySave(record with { Key = key }, out _));
        Assert.NotNull(Store.TryLoad(key, out problem));
        Assert.Null(problem);
    }

    [Fact]
    public void A_record_naming_a_recent_file_outside_the_folder_is_ignored()
    {
        var key = DeployCacheKey.For(new Uri(TestCli.ServerUrl), null, _cli.WorkingDirectory, Path.Combine(_cli.WorkingDirectory, "serverless.yml"), null, null);
        var record = new DeployCacheRecord
        {
            Key = key,
            Inputs = new DeployInputs("build", "p", "c", [], [], [], "f", 0, [new FileInput("../../etc/passwd", null)]),
            Service = "hello",
            Stage = "dev",
            Region = "local",
            Revision = 1,
            PackageSha256 = PackageSha256,
            ManifestSha256 = ManifestSha256,
            DeployedAt = DateTimeOffset.UnixEpoch,
        };
        Assert.True(Store.TrySave(record, out _));

        Assert.Null(Store.TryLoad(key, out var problem));
        Assert.Contains("not a complete deploy record", problem);
    }

    [Fact]
    public void The_cache_lives_under_XDG_CACHE_HOME_else_the_home_folder_and_can_be_switched_off()
    {
        var context = _cli.Context;
        Assert.Equal(Path.Combine(_cacheHome, "ferry", "deploys"), DeployCacheStore.For(context)!.Directory);

        _cli.Environment.Remove("XDG_CACHE_HOME");
        _cli.Environment["HOME"] = "/home/someone";
        Assert.Equal("/home/someone/.cache/ferry/deploys", DeployCacheStore.For(_cli.Context)!.Directory);

        _cli.Environment[DeployCacheStore.SwitchVariable] = "off";
        Assert.Null(DeployCacheStore.For(_cli.Context));
    }
}
