using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Cli.Api;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

public sealed class FerryApiClientTests
{
    private static readonly AppTarget App = new("hello", "dev", "local");
    private readonly StubHttpHandler _http = new();

    private FerryApiClient CreateClient(string? token = null) => FerryApiClient.Create(new Uri(TestCli.ServerUrl), token, _http);

    [Fact]
    public async Task A_warm_up_asks_for_healthz_and_never_fails_whatever_the_server_does()
    {
        _http.AnswersHealthChecks = false;
        using var client = CreateClient("secret");
        _http.Respond(_ => new HttpResponseMessage(HttpStatusCode.OK));
        await client.WarmUpAsync(CancellationToken.None);

        _http.Respond(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError));
        await client.WarmUpAsync(CancellationToken.None);

        _http.Responder = (_, _) => throw new HttpRequestException("Connection refused");
        await client.WarmUpAsync(CancellationToken.None);

        _http.Responder = (_, _) => throw new InvalidOperationException("anything else");
        await client.WarmUpAsync(CancellationToken.None);

        Assert.Equal(4, _http.Requests.Count);
        Assert.All(_http.Requests, r => Assert.Equal("/healthz", r.PathAndQuery));
    }

    [Fact]
    public async Task A_404_becomes_a_client_error_with_the_servers_message()
    {
        _http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.NotFound, "not_found", "No app hello in stage dev, region local."));
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<FerryApiException>(() => client.GetAppAsync(App, CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.True(error.IsClientError);
        Assert.Equal("not_found", error.Error.Code);
        Assert.Equal("No app hello in stage dev, region local.", error.Error.Message);
    }

    [Fact]
    public async Task Error_details_are_kept()
    {
        _http.Respond(_ => StubHttpHandler.ApiError(
            HttpStatusCode.UnprocessableEntity, "manifest_invalid", "Invalid manifest.", new ApiErrorDetail("bad runtime", "serverless.yml", 3, 14)));
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<FerryApiException>(() => client.ListAppsAsync(CancellationToken.None));

        var detail = Assert.Single(error.Error.Details!);
        Assert.Equal(new ApiErrorDetail("bad runtime", "serverless.yml", 3, 14), detail);
    }

    [Fact]
    public async Task A_500_without_an_ApiError_body_is_a_server_error_quoting_the_body()
    {
        _http.Respond(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StringContent("upstream exploded") });
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<FerryApiException>(() => client.ListAppsAsync(CancellationToken.None));

        Assert.False(error.IsClientError);
        Assert.Equal("http_500", error.Error.Code);
        Assert.Equal("upstream exploded", error.Error.Message);
    }

    [Fact]
    public async Task A_bare_error_body_without_the_error_wrapper_is_understood()
    {
        _http.Respond(_ => new HttpResponseMessage(HttpStatusCode.NotFound)
        {
            Content = new StringContent("""{"message":"URLs of apps look like /SERVICE/STAGE/PATH","code":"not_found"}"""),
        });
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<FerryApiException>(() => client.ListAppsAsync(CancellationToken.None));

        Assert.Equal("not_found", error.Error.Code);
        Assert.Equal("URLs of apps look like /SERVICE/STAGE/PATH", error.Error.Message);
    }

    [Fact]
    public async Task An_empty_error_body_is_described_by_the_status()
    {
        _http.Respond(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<FerryApiException>(() => client.ListAppsAsync(CancellationToken.None));

        Assert.Equal("502 Bad Gateway", error.Error.Message);
    }

    [Fact]
    public async Task A_refused_connection_is_reported_as_unreachable_with_a_hint()
    {
        var port = ClosedLoopbackPort();
        using var client = FerryApiClient.Create(new Uri($"http://127.0.0.1:{port}"), null, new SocketsHttpHandler());

        var error = await Assert.ThrowsAsync<FerryUnreachableException>(() => client.ListAppsAsync(CancellationToken.None));

        Assert.Equal($"http://127.0.0.1:{port}/", error.ServerUrl.AbsoluteUri);
        Assert.Contains($"cannot reach Ferry at http://127.0.0.1:{port}:", error.Message);
        Assert.Contains("is `ferry server` running? set FERRY_URL", error.Message);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_is_unreachable()
    {
        _http.Responder = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("not reached");
        };
        using var client = new FerryApiClient(new HttpClient(_http) { BaseAddress = new Uri(TestCli.ServerUrl + "/") })
        {
            RequestTimeout = TimeSpan.FromMilliseconds(20),
        };

        var error = await Assert.ThrowsAsync<FerryUnreachableException>(() => client.ListAppsAsync(CancellationToken.None));

        Assert.Contains("no answer within", error.Reason);
    }

    [Fact]
    public async Task Deploy_sends_the_manifest_and_the_archive_as_multipart_parts()
    {
        var result = new DeploymentResult("hello", "dev", "local", 3, "http://ferry.test:8080/hello/dev", [], [], []);
        _http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, result));
        using var client = CreateClient("tok");
        var archiveBytes = Encoding.ASCII.GetBytes("PK\u0003\u0004 fake zip");
        var reported = new List<long>();

        var deployed = await client.DeployAsync(
            """{"service":"hello"}""", new MemoryStream(archiveBytes), new SynchronousProgressStub(reported), CancellationToken.None);

        Assert.Equal(3, deployed.Revision);
        var request = Assert.Single(_http.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v1/deployments", request.PathAndQuery);
        Assert.Equal("multipart/form-data", request.ContentType);
        Assert.Collection(request.Parts,
            manifest =>
            {
                Assert.Equal("manifest", manifest.Name);
                Assert.Equal("application/json", manifest.ContentType);
                Assert.Equal("""{"service":"hello"}""", manifest.Text);
            },
            archive =>
            {
                Assert.Equal("archive", archive.Name);
                Assert.Equal("app.zip", archive.FileName);
                Assert.Equal("application/zip", archive.ContentType);
                Assert.Equal(archiveBytes, archive.Content);
            });
        Assert.Equal(archiveBytes.Length, reported[^1]);
    }

    [Fact]
    public async Task Invoke_returns_the_body_and_the_function_error_header()
    {
        _http.Respond(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"errorMessage":"boom"}""", Encoding.UTF8, "application/json"),
            };
            response.Headers.Add("X-Ferry-Request-Id", "req-1");
            response.Headers.Add("X-Ferry-Function-Error", "Unhandled");
            return response;
        });
        using var client = CreateClient();

        var invocation = await client.InvokeAsync(App, "hello", """{"x":1}""", CancellationToken.None);

        Assert.True(invocation.Failed);
        Assert.Equal("Unhandled", invocation.FunctionError);
        Assert.Equal("req-1", invocation.RequestId);
        Assert.Equal("""{"errorMessage":"boom"}""", invocation.Body);
        var request = Assert.Single(_http.Requests);
        Assert.Equal("""{"x":1}""", request.Body);
        Assert.Equal("application/json", request.ContentType);
    }

    [Fact]
    public async Task Log_queries_carry_every_filter_escaped()
    {
        _http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, Array.Empty<LogLine>()));
        using var client = CreateClient();

        await client.GetLogsAsync(
            App,
            new Api.LogQuery("hello", After: 41, Since: new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2)), Contains: "a b&c", Limit: 10),
            CancellationToken.None);

        Assert.Equal(
            "/api/v1/apps/hello/dev/logs?region=local&function=hello&after=41&since=2024-05-01T10%3A00%3A00.0000000%2B00%3A00&contains=a%20b%26c&limit=10",
            Assert.Single(_http.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Remove_sends_a_delete_for_the_app_and_asks_for_data_deletion_only_when_told()
    {
        _http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new RemoveResult([], ["bucket photos"])));
        using var client = CreateClient();

        var kept = await client.RemoveAppAsync(App, deleteData: false, CancellationToken.None);
        await client.RemoveAppAsync(App, deleteData: true, CancellationToken.None);

        Assert.Equal(["bucket photos"], kept.Kept);
        Assert.All(_http.Requests, request => Assert.Equal(HttpMethod.Delete, request.Method));
        Assert.Equal(["/api/v1/apps/hello/dev?region=local", "/api/v1/apps/hello/dev?region=local&deleteData=true"], _http.Requests.Select(r => r.PathAndQuery));
    }

    private static int ClosedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class SynchronousProgressStub(List<long> reported) : IProgress<long>
    {
        public void Report(long value) => reported.Add(value);
    }
}
