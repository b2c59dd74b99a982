using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>The README's path: deploy samples/hello with the CLI, call its routes, separate stages, info, invoke, remove.</summary>
public sealed class DeployAndServeTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<DeploymentResult> DeployAsync(string directory, params string[] extra)
    {
        var result = await FerryCli.RunAsync(_server.BaseUrl, directory, ["deploy", "--output", "json", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonSerializer.Deserialize<DeploymentResult>(result.Stdout, ApiJson.Options)!;
    }

    [Fact]
    public async Task Sample_hello_deploys_and_both_functions_answer_over_http()
    {
        var deployed = await DeployAsync(Repo.Sample("hello"));

        Assert.Equal("hello", deployed.Service);
        Assert.Equal("dev", deployed.Stage);
        Assert.Equal(1, deployed.Revision);
        var helloUrl = Assert.Single(deployed.Routes, r => r.Function == "hello" && r.Method == "GET").Url;
        Assert.Equal($"{_server.BaseUrl}/hello/dev/hello", helloUrl);

        var node = await _server.Http.GetFromJsonAsync<JsonElement>(helloUrl + "?name=ferry");
        Assert.Equal("Hello, ferry!", node.GetProperty("message").GetString());
        Assert.Equal("/hello", node.GetProperty("path").GetString());
        Assert.Equal("dev", node.GetProperty("stage").GetString());

        var posted = await _server.Http.PostAsJsonAsync(helloUrl, new { answer = 42 });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var postedBody = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(42, postedBody.GetProperty("posted").GetProperty("answer").GetInt32());

        var python = await _server.Http.GetFromJsonAsync<JsonElement>($"{_server.BaseUrl}/hello/dev/users/42");
        Assert.Equal("42", python.GetProperty("id").GetString());
        Assert.Equal("Hello", python.GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task Stages_are_isolated_deployments_with_their_own_params_and_revisions()
    {
        await DeployAsync(Repo.Sample("hello"));
        var prod = await DeployAsync(Repo.Sample("hello"), "--stage", "prod");
        var dev2 = await DeployAsync(Repo.Sample("hello"), "--force"); // unchanged: without --force it would stay at revision 1

        Assert.Equal(1, prod.Revision);
        Assert.Equal(2, dev2.Revision);
        var prodBody = await _server.Http.GetFromJsonAsync<JsonElement>("/hello/prod/hello");
        var devBody = await _server.Http.GetFromJsonAsync<JsonElement>("/hello/dev/hello");
        Assert.Equal("Welcome, world!", prodBody.GetProperty("message").GetString());
        Assert.Equal("Hello, world!", devBody.GetProperty("message").GetString());

        var region = await DeployAsync(Repo.Sample("hello"), "--stage", "prod", "--region", "eu-west-1");
        Assert.EndsWith("/hello/prod@eu-west-1", region.BaseUrl);
        var regional = await _server.Http.GetAsync("/hello/prod@eu-west-1/users/7");
        Assert.Equal(HttpStatusCode.OK, regional.StatusCode);
    }

    [Fact]
    public async Task Info_invoke_and_remove_work_through_the_cli()
    {
        var app = Repo.Sample("hello");
        await DeployAsync(app);

        var info = await FerryCli.RunAsync(_server.BaseUrl, app, "info", "--output", "json");
        Assert.True(info.ExitCode == 0, info.ToString());
        var appInfo = JsonSerializer.Deserialize<AppInfo>(info.Stdout, ApiJson.Options)!;
        Assert.Equal(["hello", "users"], appInfo.Functions.Select(f => f.Name).Order());
        Assert.Contains(appInfo.Routes, r => r.Url == $"{_server.BaseUrl}/hello/dev/users/{{id}}");

        var invoke = await FerryCli.RunAsync(_server.BaseUrl, app, "invoke", "-f", "users", "--data", """{"pathParameters":{"id":"9"}}""", "--output", "json");
        Assert.True(invoke.ExitCode == 0, invoke.ToString());
        Assert.Equal("9", JsonDocument.Parse(invoke.Stdout).RootElement.GetProperty("id").GetString());

        var failing = await FerryCli.RunAsync(_server.BaseUrl, app, "invoke", "-f", "users", "--data", "{}");
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("KeyError", failing.Stdout + failing.Stderr);

        var remove = await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--yes");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/hello/dev/hello")).StatusCode);
        var gone = await FerryCli.RunAsync(_server.BaseUrl, app, "info");
        Assert.Equal(1, gone.ExitCode);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_json_404_and_405()
    {
        await DeployAsync(Repo.Sample("hello"));

        var missing = await _server.Http.GetAsync("/hello/dev/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("route_not_found", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var wrongMethod = await _server.Http.DeleteAsync("/hello/dev/users/1");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);

        var noApp = await _server.Http.GetAsync("/nope/dev/hello");
        Assert.Equal(HttpStatusCode.NotFound, noApp.StatusCode);
        Assert.Equal("app_not_found", (await noApp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_public_serverless_framework_example_deploys_unchanged()
    {
        var deployed = await DeployAsync(Repo.Sample("aws-node-http-api"));

        var body = await _server.Http.GetFromJsonAsync<JsonElement>(Assert.Single(deployed.Routes).Url);
        Assert.Equal("Go Serverless v3.0! Your function executed successfully!", body.GetProperty("message").GetString());
        Assert.Equal("2.0", body.GetProperty("input").GetProperty("version").GetString());
        Assert.Equal("GET /", body.GetProperty("input").GetProperty("routeKey").GetString());
    }

    [Fact]
    public async Task A_provided_runtime_bootstrap_speaks_the_runtime_api_itself()
    {
        var deployed = await DeployAsync(Repo.Sample("provided-bash"));

        var response = await _server.Http.PostAsync(Assert.Single(deployed.Routes).Url, new StringContent("ahoy"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: ahoy", await response.Content.ReadAsStringAsync());
    }
}
