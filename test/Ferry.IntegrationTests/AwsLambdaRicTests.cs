using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// A Node function on AWS's own runtime interface client (the aws-lambda-ric npm package that Lambda container images
/// use), deployed unchanged as a <c>provided</c> function: samples/aws-lambda-ric.
/// </summary>
public sealed class AwsLambdaRicTests(AwsLambdaRicTests.DeployedSample sample) : IClassFixture<AwsLambdaRicTests.DeployedSample>
{
    private FerryTestServer Server => sample.Server;

    [Fact]
    public async Task A_handler_run_by_the_runtime_interface_client_answers_over_http()
    {
        var response = await Server.Http.GetAsync("/ricfn/dev/hello/ferry");
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text + "\nthe function's logs:\n" + await LogsOfAsync("hello"));
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("hello ferry", body.GetProperty("greeting").GetString());
        Assert.Equal("/hello/ferry", body.GetProperty("path").GetString());
        Assert.Equal(response.Headers.GetValues("apigw-requestid").Single(), body.GetProperty("requestId").GetString());
        Assert.Equal("aws-lambda-ric@" + sample.RuntimeInterfaceClientVersion, body.GetProperty("runtimeInterfaceClient").GetString());
        Assert.True(body.GetProperty("streamingSupported").GetBoolean(), "the awslambda global the runtime interface client installs is missing");
        Assert.True(body.GetProperty("remainingMs").GetInt64() > 0, text);
    }

    [Fact]
    public async Task A_handler_error_is_reported_as_a_function_error_with_its_message_in_the_logs()
    {
        var response = await Server.Http.GetAsync("/ricfn/dev/broken");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("function_error", error.GetProperty("code").GetString());
        var requestId = error.GetProperty("requestId").GetString();
        var lines = await WaitForLogsAsync("broken", lines => lines.Any(l => l.RequestId == requestId && l.Message.Contains("broken on purpose at /broken", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.RequestId == requestId && l.Message.StartsWith("REPORT", StringComparison.Ordinal) && l.Message.Contains("Status: Error", StringComparison.Ordinal));

        // The client reported the error over the Runtime API and kept running: the same function still answers.
        Assert.Equal(HttpStatusCode.InternalServerError, (await Server.Http.GetAsync("/ricfn/dev/broken")).StatusCode);
    }

    [Fact]
    public async Task A_console_log_line_of_the_handler_shows_in_ferry_logs()
    {
        var marker = "logs-" + Guid.NewGuid().ToString("N")[..8];
        var response = await Server.Http.GetAsync($"/ricfn/dev/hello/{marker}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("apigw-requestid").Single();

        var lines = await WaitForLogsAsync("hello", lines => lines.Any(l => l.Message.Contains($"greeting {marker} in {requestId}", StringComparison.Ordinal)));

        var greeting = lines.Single(l => l.Message.Contains($"greeting {marker}", StringComparison.Ordinal));
        Assert.Equal(requestId, greeting.RequestId);
    }

    private async Task<string> LogsOfAsync(string function)
        => (await FerryCli.RunAsync(Server.BaseUrl, sample.AppDirectory, "logs", "-f", function)).ToString();

    /// <summary>Polls <c>ferry logs</c> (the real CLI) until <paramref name="done"/> holds for the function's lines.</summary>
    private async Task<IReadOnlyList<LogLine>> WaitForLogsAsync(string function, Func<IReadOnlyList<LogLine>, bool> done)
    {
        IReadOnlyList<LogLine> lines = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var cli = await FerryCli.RunAsync(Server.BaseUrl, sample.AppDirectory, "logs", "-f", function, "--output", "json");
            Assert.True(cli.ExitCode == 0, cli.ToString());
            lines = [.. cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<LogLine>(l, ApiJson.Options)!)];
            if (done(lines))
            {
                return lines;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"expected log lines of {function} did not arrive; got:\n" + string.Join("\n", lines.Select(l => $"[{l.RequestId}] {l.Message}")));
        return lines;
    }

    /// <summary>One server with samples/aws-lambda-ric deployed, shared by the tests above.</summary>
    public sealed class DeployedSample : IAsyncLifetime
    {
        public FerryTestServer Server { get; private set; } = null!;

        public string AppDirectory { get; } = Repo.Sample("aws-lambda-ric");

        public string RuntimeInterfaceClientVersion { get; private set; } = "";

        public async Task InitializeAsync()
        {
            // The client's native addon is compiled on this machine (minutes), so it is built by a script, not here.
            var client = Path.Combine(AppDirectory, "node_modules", "aws-lambda-ric");
            if (!File.Exists(Path.Combine(client, "rapid-client.node")))
            {
                throw new InvalidOperationException(
                    $"{client} is not built (its native addon rapid-client.node is missing): run scripts/build-aws-lambda-ric.sh");
            }

            await using (var manifest = File.OpenRead(Path.Combine(client, "package.json")))
            {
                var package = await JsonDocument.ParseAsync(manifest);
                RuntimeInterfaceClientVersion = package.RootElement.GetProperty("version").GetString()!;
            }

            Server = await FerryTestServer.StartAsync();
            var deploy = await FerryCli.RunAsync(Server.BaseUrl, AppDirectory, "deploy");
            if (deploy.ExitCode != 0)
            {
                await Server.DisposeAsync();
                throw new InvalidOperationException("deploying samples/aws-lambda-ric failed: " + deploy);
            }
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }
        }
    }
}
