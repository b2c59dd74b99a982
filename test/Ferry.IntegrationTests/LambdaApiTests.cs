using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>The Lambda Invoke API, driven by the official AWS SDKs (JavaScript v3 and boto3) with only the endpoint changed.</summary>
public sealed class LambdaApiTests : IAsyncLifetime
{
    private const string Yml = """
        service: lambdas
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          echo:
            handler: handler.echo
          fails:
            handler: handler.fails
        """;

    private const string HandlerJs = """
        exports.echo = async (event, context) => {
          console.log('echo got ' + JSON.stringify(event));
          return { received: event, functionName: context.functionName };
        };
        exports.fails = async () => {
          console.log('about to fail');
          throw new TypeError('it broke');
        };
        """;

    private FerryTestServer _server = null!;
    private CreatedAccessKey _accessKey = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        var created = await _server.Http.PostAsync("/api/v1/access-keys", null);
        _accessKey = (await created.Content.ReadFromJsonAsync<CreatedAccessKey>(ApiJson.Options))!;
        var app = TestApp.Create(Yml, ("handler.js", HandlerJs));
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SdkRequest Request(string functionName) => new()
    {
        Endpoint = _server.BaseUrl,
        FunctionName = functionName,
        AccessKeyId = _accessKey.AccessKeyId,
        SecretAccessKey = _accessKey.SecretAccessKey,
    };

    [Fact]
    public async Task The_javascript_sdk_invokes_a_function_and_gets_its_result_and_log_tail()
    {
        var result = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { Payload = new { hello = "ferry" }, LogType = "Tail" });

        Assert.True(result.Error is null, result.ToString());
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.FunctionError);
        Assert.Equal("$LATEST", result.ExecutedVersion);
        using var payload = JsonDocument.Parse(result.Payload!);
        Assert.Equal("ferry", payload.RootElement.GetProperty("received").GetProperty("hello").GetString());
        Assert.Equal("lambdas-dev-echo", payload.RootElement.GetProperty("functionName").GetString());

        var log = result.Log!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("START RequestId: ", log[0], StringComparison.Ordinal);
        Assert.Contains(log, line => line.Contains("""echo got {"hello":"ferry"}""", StringComparison.Ordinal));
        Assert.Contains(log, line => line.StartsWith("END RequestId: ", StringComparison.Ordinal));
        Assert.StartsWith("REPORT RequestId: ", log[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_javascript_sdk_sees_a_function_error_as_unhandled_with_the_error_as_payload()
    {
        var result = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-fails") with { LogType = "Tail" });

        Assert.Equal(200, result.StatusCode);
        Assert.Equal("Unhandled", result.FunctionError);
        using var error = JsonDocument.Parse(result.Payload!);
        Assert.Equal("TypeError", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("it broke", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Contains("about to fail", result.Log, StringComparison.Ordinal);
        Assert.Contains("Status: Error", result.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Functions_are_found_by_name_arn_and_active_revision_and_missing_ones_are_resource_not_found()
    {
        var byArn = await LambdaSdk.InvokeWithNodeAsync(Request("arn:aws:lambda:local:000000000000:function:lambdas-dev-echo"));
        Assert.Equal(200, byArn.StatusCode);

        var activeRevision = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo:1"));
        Assert.Equal((200, "1"), (activeRevision.StatusCode, activeRevision.ExecutedVersion));

        var qualifierParameter = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { Qualifier = "$LATEST" });
        Assert.Equal((200, "$LATEST"), (qualifierParameter.StatusCode, qualifierParameter.ExecutedVersion));

        var otherRevision = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo:2"));
        Assert.Equal(("ResourceNotFoundException", 404), (otherRevision.Error, otherRevision.StatusCode));
        Assert.Contains("only the active revision 1 is served", otherRevision.Message, StringComparison.Ordinal);

        var missing = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-nope"));
        Assert.Equal(("ResourceNotFoundException", 404), (missing.Error, missing.StatusCode));
        Assert.Equal("Function not found: arn:aws:lambda:local:000000000000:function:lambdas-dev-nope", missing.Message);

        var otherRegion = await LambdaSdk.InvokeWithNodeAsync(Request("arn:aws:lambda:eu-west-1:000000000000:function:lambdas-dev-echo"));
        Assert.Equal("ResourceNotFoundException", otherRegion.Error);
    }

    [Fact]
    public async Task Sdks_signing_for_their_usual_region_find_a_function_deployed_to_the_default_region()
    {
        var boto3 = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-echo") with { Region = "us-east-1", Payload = new { from = "boto3" } });
        Assert.True(boto3.Error is null, boto3.ToString());
        Assert.Equal(200, boto3.StatusCode);
        Assert.Contains("""{"from":"boto3"}""", boto3.Payload, StringComparison.Ordinal);

        var node = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { Region = "eu-central-1", Payload = new { from = "node" } });
        Assert.True(node.Error is null, node.ToString());
        Assert.Contains("""{"from":"node"}""", node.Payload, StringComparison.Ordinal);

        var missing = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-nope") with { Region = "us-east-1" });
        Assert.Equal(("ResourceNotFoundException", 404), (missing.Error, missing.StatusCode));
        Assert.Equal("Function not found: arn:aws:lambda:us-east-1:000000000000:function:lambdas-dev-nope", missing.Message);
    }

    [Fact]
    public async Task Dry_runs_answer_204_and_event_invocations_answer_202_and_run_later()
    {
        var dryRun = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { InvocationType = "DryRun" });
        Assert.Equal(204, dryRun.StatusCode);

        var marker = Guid.NewGuid().ToString("N");
        var queued = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { InvocationType = "Event", Payload = new { marker } });
        Assert.Equal((202, null), (queued.StatusCode, queued.Payload));

        await FunctionLogs.WaitForAsync(_server, "lambdas", "echo", lines => lines.Any(l => l.Contains(marker, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Boto3_invokes_a_function_and_gets_its_result_log_tail_and_errors()
    {
        var result = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-echo") with { Payload = new { from = "python" }, LogType = "Tail" });

        Assert.True(result.Error is null, result.ToString());
        Assert.Equal((200, null, "$LATEST"), (result.StatusCode, result.FunctionError, result.ExecutedVersion));
        Assert.Contains("""{"from":"python"}""", result.Payload, StringComparison.Ordinal);
        Assert.Contains("""echo got {"from":"python"}""", result.Log, StringComparison.Ordinal);
        Assert.Contains("REPORT RequestId: ", result.Log, StringComparison.Ordinal);

        var failed = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-fails"));
        Assert.Equal((200, "Unhandled"), (failed.StatusCode, failed.FunctionError));
        Assert.Contains("it broke", failed.Payload, StringComparison.Ordinal);

        var missing = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-nope"));
        Assert.Equal(("ResourceNotFoundException", 404), (missing.Error, missing.StatusCode));
    }

    [Fact]
    public async Task Malformed_requests_get_errors_in_the_lambda_shape()
    {
        const string path = "/2015-03-31/functions/lambdas-dev-echo/invocations";
        using var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _server.AdminToken);

        using var badSignature = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        badSignature.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/today/local/lambda/aws4_request, SignedHeaders=host, Signature=00");
        await AssertLambdaErrorAsync(await client.SendAsync(badSignature), HttpStatusCode.Forbidden, "InvalidSignatureException", "Credential 'AKID/today/local/lambda/aws4_request' is malformed");

        await AssertLambdaErrorAsync(await client.PostAsync(path, new StringContent("{not json")), HttpStatusCode.BadRequest,
            "InvalidRequestContentException", "Could not parse request body into json");

        var tooLarge = new ByteArrayContent(new byte[6 * 1024 * 1024 + 1]);
        await AssertLambdaErrorAsync(await client.PostAsync(path, tooLarge), HttpStatusCode.RequestEntityTooLarge,
            "RequestTooLargeException", "Request must be smaller than 6291456 bytes");

        using var badType = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        badType.Headers.Add("X-Amz-Invocation-Type", "Sometimes");
        await AssertLambdaErrorAsync(await client.SendAsync(badType), HttpStatusCode.BadRequest, "InvalidParameterValueException", "X-Amz-Invocation-Type must be");

        await AssertLambdaErrorAsync(await client.PostAsync("/2015-03-31/functions/not%20a%20name/invocations", new StringContent("{}")),
            HttpStatusCode.BadRequest, "ValidationException", "Function name 'not a name' is not valid");
    }

    [Fact]
    public async Task Unsigned_wrongly_signed_and_other_tenants_requests_are_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        await AssertLambdaErrorAsync(await anonymous.PostAsync("/2015-03-31/functions/lambdas-dev-echo/invocations", new StringContent("{}")),
            HttpStatusCode.Forbidden, "UnrecognizedClientException", "Requests must be signed");

        var wrongSecret = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { SecretAccessKey = "wrong-secret-wrong-secret-wrong-secret00" });
        Assert.Equal("InvalidSignatureException", wrongSecret.Error);

        var unknownKey = await LambdaSdk.InvokeWithBoto3Async(Request("lambdas-dev-echo") with { AccessKeyId = "AKFRNOSUCHKEY0000000" });
        Assert.Equal(403, unknownKey.StatusCode);

        // Another tenant's valid key does not even see the function.
        await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest("other"), ApiJson.Options);
        var token = await (await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest("other", "other", ["consumer"]), ApiJson.Options))
            .Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options);
        using var other = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token!.Token);
        var otherKey = (await (await other.PostAsync("/api/v1/access-keys", null)).Content.ReadFromJsonAsync<CreatedAccessKey>(ApiJson.Options))!;
        var foreign = await LambdaSdk.InvokeWithNodeAsync(Request("lambdas-dev-echo") with { AccessKeyId = otherKey.AccessKeyId, SecretAccessKey = otherKey.SecretAccessKey });
        Assert.Equal("ResourceNotFoundException", foreign.Error);
    }

    [Fact]
    public async Task Bearer_tokens_are_checked_by_the_same_pipeline_and_answered_in_the_lambda_shape()
    {
        const string path = "/2015-03-31/functions/lambdas-dev-echo/invocations";
        using var forged = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        forged.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "fry_" + new string('x', 43));
        await AssertLambdaErrorAsync(await forged.PostAsync(path, new StringContent("{}")),
            HttpStatusCode.Forbidden, "UnrecognizedClientException", "The security token included in the request is invalid");

        var reviewer = await (await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest("default", "the reviewer", ["reviewer"]), ApiJson.Options))
            .Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options);
        using var asReviewer = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        asReviewer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", reviewer!.Token);
        var refused = await asReviewer.PostAsync(path, new StringContent("{}"));
        await AssertLambdaErrorAsync(refused, HttpStatusCode.Forbidden, "AccessDeniedException", "The token 'the reviewer' may not invoke functions");
        Assert.NotEmpty(refused.Headers.GetValues("x-amzn-RequestId").Single());

        // Routing matches the path whatever its case, and the endpoint's policy comes with it.
        const string shouted = "/2015-03-31/FUNCTIONS/lambdas-dev-echo/INVOCATIONS";
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        await AssertLambdaErrorAsync(await anonymous.PostAsync(shouted, new StringContent("{}")),
            HttpStatusCode.Forbidden, "UnrecognizedClientException", "Requests must be signed");
        var invoked = await _server.Http.PostAsync(shouted, new StringContent("""{"loud":true}"""));
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Contains("\"loud\":true", await invoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task AssertLambdaErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorType, string messageStart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(errorType, response.Headers.GetValues("x-amzn-ErrorType").Single());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(status >= HttpStatusCode.InternalServerError ? "Service" : "User", body.GetProperty("Type").GetString());
        Assert.StartsWith(messageStart, body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>What invoke.mjs / invoke.py are asked to do (serialized as their JSON argument).</summary>
public sealed record SdkRequest
{
    public required string Endpoint { get; init; }
    public required string FunctionName { get; init; }
    public required string AccessKeyId { get; init; }
    public required string SecretAccessKey { get; init; }
    public object? Payload { get; init; }
    public string? InvocationType { get; init; }
    public string? LogType { get; init; }
    public string? Qualifier { get; init; }

    /// <summary>The region the SDK signs for; <c>local</c> (Ferry's default region) unless set.</summary>
    public string? Region { get; init; }
}

/// <summary>What the SDK returned (or the error it threw), as invoke.mjs / invoke.py print it.</summary>
public sealed record SdkResult(int? StatusCode, string? FunctionError, string? ExecutedVersion, string? Log, string? Payload, string? Error, string? Message);

/// <summary>Runs the SDK scripts in lambda-client/: Node with @aws-sdk/client-lambda (installed on first use), Python with boto3.</summary>
public static class LambdaSdk
{
    private static readonly string ClientDirectory = Path.Combine(Repo.Root, "test", "Ferry.IntegrationTests", "lambda-client");
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<SdkResult> InvokeWithNodeAsync(SdkRequest request)
    {
        await EnsureNodeClientAsync();
        return await RunScriptAsync(File.Exists("/usr/bin/node") ? "/usr/bin/node" : "node", "invoke.mjs", request);
    }

    public static Task<SdkResult> InvokeWithBoto3Async(SdkRequest request) => RunScriptAsync("/usr/bin/python3", "invoke.py", request);

    private static async Task EnsureNodeClientAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(ClientDirectory, "node_modules")))
            {
                var install = await RunAsync("npm", ["install", "--no-audit", "--no-fund"]);
                Assert.True(install.ExitCode == 0, $"npm install in {ClientDirectory} failed (run scripts/setup.sh):\n{install.Output}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<SdkResult> RunScriptAsync(string program, string script, SdkRequest request)
    {
        var run = await RunAsync(program, [script, JsonSerializer.Serialize(request, Json)]);
        Assert.True(run.ExitCode == 0, $"{program} {script} failed (are boto3 and the npm packages installed? run scripts/setup.sh):\n{run.Output}");
        var lastLine = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonSerializer.Deserialize<SdkResult>(lastLine, Json)!;
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = ClientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Keep the SDKs from reading a developer's real AWS configuration.
        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, $"--- stdout\n{await stdout}\n--- stderr\n{await stderr}");
    }
}

/// <summary>Reads a function's stored log lines through the REST API.</summary>
public static class FunctionLogs
{
    public static async Task<IReadOnlyList<string>> WaitForAsync(FerryTestServer server, string service, string function, Func<IReadOnlyList<string>, bool> done,
        string? region = null)
    {
        IReadOnlyList<string> messages = [];
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var lines = await server.Http.GetFromJsonAsync<JsonElement[]>($"/api/v1/apps/{service}/dev/logs?function={function}&limit=10000" + (region is null ? "" : "&region=" + region));
            messages = [.. lines!.Select(l => l.GetProperty("message").GetString()!)];
            if (done(messages))
            {
                return messages;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the expected log lines of {service}/{function} did not arrive; got:\n" + string.Join("\n", messages));
        return messages;
    }
}
