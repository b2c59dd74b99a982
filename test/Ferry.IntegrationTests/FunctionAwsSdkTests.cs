using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// Unchanged Lambda code inside functions: the AWS SDK for JavaScript v3 that Ferry provides (not bundled with the
/// app) and Debian's boto3 reach the app's bucket and invoke a sibling function with only what Ferry puts in the
/// environment, and a function's credentials reach nothing of another tenant.
/// </summary>
public sealed class FunctionAwsSdkTests : IAsyncLifetime
{
    private const string SdkAppYml = """
        service: sdkapp
        resources:
          buckets:
            files:
        functions:
          jsStore:
            handler: handler.store
            runtime: nodejs20.x
            events:
              - httpApi: GET /js
          pyStore:
            handler: app.store
            runtime: python3.11
            events:
              - httpApi: GET /py
          probe:
            handler: handler.probe
            runtime: nodejs20.x
            events:
              - httpApi: GET /probe
          pyProbe:
            handler: app.probe
            runtime: python3.11
            events:
              - httpApi: GET /pyprobe
          echo:
            handler: handler.echo
            runtime: nodejs20.x
          v2Store:
            handler: legacy.store
            runtime: nodejs18.x
            events:
              - httpApi: GET /v2
          esmStore:
            handler: esm.store
            runtime: nodejs22.x
            events:
              - httpApi: GET /esm
        """;

    // Written for Lambda's nodejs16.x: the v2 SDK, which predates AWS_ENDPOINT_URL_*.
    private const string LegacyJs = """
        const AWS = require('aws-sdk');
        const s3 = new AWS.S3();
        const lambda = new AWS.Lambda();

        exports.store = async () => {
          const Bucket = process.env.FERRY_BUCKET_FILES;
          await s3.putObject({ Bucket, Key: 'from-v2.txt', Body: 'hello from v2' }).promise();
          const got = await s3.getObject({ Bucket, Key: 'from-v2.txt' }).promise();
          const invoked = await lambda.invoke({ FunctionName: 'sdkapp-dev-echo', Payload: JSON.stringify({ from: 'v2' }) }).promise();
          return { text: got.Body.toString(), echo: JSON.parse(invoked.Payload), version: AWS.VERSION };
        };
        """;

    // An ES module: import resolution ignores NODE_PATH, and still finds the provided SDK.
    private const string EsmMjs = """
        import { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';

        const s3 = new S3Client({});

        export const store = async () => {
          const Bucket = process.env.FERRY_BUCKET_FILES;
          await s3.send(new PutObjectCommand({ Bucket, Key: 'from-esm.txt', Body: 'hello from esm' }));
          const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'from-esm.txt' }));
          return { text: await got.Body.transformToString() };
        };
        """;

    // As written for Lambda: clients built with no endpoint, region or credentials.
    private const string HandlerJs = """
        const { S3Client, PutObjectCommand, GetObjectCommand } = require('@aws-sdk/client-s3');
        const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
        const s3 = new S3Client({});
        const lambda = new LambdaClient({});

        exports.store = async () => {
          const Bucket = process.env.FERRY_BUCKET_FILES;
          await s3.send(new PutObjectCommand({ Bucket, Key: 'from-node.txt', Body: 'hello from node' }));
          const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'from-node.txt' }));
          const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'sdkapp-dev-echo', Payload: JSON.stringify({ from: 'node' }) }));
          return {
            text: await got.Body.transformToString(),
            echo: JSON.parse(Buffer.from(invoked.Payload).toString()),
            sdk: require.resolve('@aws-sdk/client-s3'),
          };
        };

        exports.echo = async (event) => ({ echoed: event, by: process.env.AWS_LAMBDA_FUNCTION_NAME });

        const failure = async (call) => {
          try { await call(); return 'allowed'; } catch (err) { return err.name; }
        };

        exports.probe = async () => ({
          ownBucket: await failure(() => s3.send(new PutObjectCommand({ Bucket: process.env.FERRY_BUCKET_FILES, Key: 'probe.txt', Body: 'x' }))),
          foreignBucket: await failure(() => s3.send(new GetObjectCommand({ Bucket: 'otherapp-dev-secrets', Key: 'secret.txt' }))),
          foreignPut: await failure(() => s3.send(new PutObjectCommand({ Bucket: 'otherapp-dev-secrets', Key: 'planted.txt', Body: 'x' }))),
          foreignFunction: await failure(() => lambda.send(new InvokeCommand({ FunctionName: 'otherapp-dev-vault', Payload: '{}' }))),
          // The Lambda endpoint is the server's, but it answers functions nothing besides Invoke.
          restApi: await status(process.env.AWS_ENDPOINT_URL_LAMBDA + '/api/v1/apps'),
          gateway: await status(process.env.AWS_ENDPOINT_URL_LAMBDA + '/otherapp/dev/anything'),
        });

        async function status(url) {
          const response = await fetch(url);
          return `${response.status} ${response.headers.get('x-amzn-errortype')}`;
        }
        """;

    private const string AppPy = """
        import json, os
        import boto3

        s3 = boto3.client("s3")
        lam = boto3.client("lambda")

        def store(event, context):
            bucket = os.environ["FERRY_BUCKET_FILES"]
            s3.put_object(Bucket=bucket, Key="from-python.txt", Body=b"hello from python")
            text = s3.get_object(Bucket=bucket, Key="from-python.txt")["Body"].read().decode()
            invoked = lam.invoke(FunctionName="sdkapp-dev-echo", Payload=json.dumps({"from": "python"}))
            return {"text": text, "echo": json.loads(invoked["Payload"].read()), "boto3": boto3.__file__}

        def _failure(call):
            try:
                call()
                return "allowed"
            except Exception as err:
                return getattr(err, "response", {}).get("Error", {}).get("Code") or type(err).__name__

        def probe(event, context):
            return {
                "foreignBucket": _failure(lambda: s3.get_object(Bucket="otherapp-dev-secrets", Key="secret.txt")),
                "foreignFunction": _failure(lambda: lam.invoke(FunctionName="otherapp-dev-vault", Payload=b"{}")),
            }
        """;

    private const string OtherAppYml = """
        service: otherapp
        provider:
          runtime: nodejs20.x
        resources:
          buckets:
            secrets:
        functions:
          vault:
            handler: handler.vault
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Node_functions_use_the_provided_sdk_v3_for_their_bucket_and_to_invoke_a_sibling()
    {
        await DeployAsync(null, TestApp.Create(SdkAppYml, ("handler.js", HandlerJs), ("app.py", AppPy), ("legacy.js", LegacyJs), ("esm.mjs", EsmMjs)));

        var body = await GetJsonAsync("/sdkapp/dev/js");
        Assert.Equal("hello from node", body.GetProperty("text").GetString());
        Assert.Equal("node", body.GetProperty("echo").GetProperty("echoed").GetProperty("from").GetString());
        Assert.Equal("sdkapp-dev-echo", body.GetProperty("echo").GetProperty("by").GetString());
        // Resolved from the folder Ferry provides (/node_modules links to it), not from the app.
        Assert.StartsWith("/usr/local/lib/ferry/aws-sdk/node_modules/@aws-sdk/client-s3/", body.GetProperty("sdk").GetString());
    }

    [Fact]
    public async Task Sdk_v2_code_and_es_modules_find_the_provided_sdks_and_ferrys_endpoints()
    {
        await DeployAsync(null, TestApp.Create(SdkAppYml, ("handler.js", HandlerJs), ("app.py", AppPy), ("legacy.js", LegacyJs), ("esm.mjs", EsmMjs)));

        var v2 = await GetJsonAsync("/sdkapp/dev/v2");
        Assert.Equal("hello from v2", v2.GetProperty("text").GetString());
        Assert.Equal("v2", v2.GetProperty("echo").GetProperty("echoed").GetProperty("from").GetString());
        Assert.StartsWith("2.", v2.GetProperty("version").GetString());

        var esm = await GetJsonAsync("/sdkapp/dev/esm");
        Assert.Equal("hello from esm", esm.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Python_functions_use_boto3_for_their_bucket_and_to_invoke_a_sibling()
    {
        await DeployAsync(null, TestApp.Create(SdkAppYml, ("handler.js", HandlerJs), ("app.py", AppPy), ("legacy.js", LegacyJs), ("esm.mjs", EsmMjs)));

        var body = await GetJsonAsync("/sdkapp/dev/py");
        Assert.Equal("hello from python", body.GetProperty("text").GetString());
        Assert.Equal("python", body.GetProperty("echo").GetProperty("echoed").GetProperty("from").GetString());
        Assert.Equal("sdkapp-dev-echo", body.GetProperty("echo").GetProperty("by").GetString());
        Assert.StartsWith("/usr/lib/python3/dist-packages/boto3/", body.GetProperty("boto3").GetString());
    }

    [Fact]
    public async Task A_functions_credentials_reach_no_bucket_or_function_of_another_tenant()
    {
        await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest("other"), ApiJson.Options);
        var token = await (await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest("other", "other", ["provider"]), ApiJson.Options))
            .Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options);
        await DeployAsync(token!.Token, TestApp.Create(OtherAppYml, ("handler.js", "exports.vault = async () => ({ secret: 42 });\n")));
        await DeployAsync(null, TestApp.Create(SdkAppYml, ("handler.js", HandlerJs), ("app.py", AppPy), ("legacy.js", LegacyJs), ("esm.mjs", EsmMjs)));

        var node = await GetJsonAsync("/sdkapp/dev/probe");
        Assert.Equal("allowed", node.GetProperty("ownBucket").GetString());
        Assert.NotEqual("allowed", node.GetProperty("foreignBucket").GetString());
        Assert.NotEqual("allowed", node.GetProperty("foreignPut").GetString());
        Assert.Equal("ResourceNotFoundException", node.GetProperty("foreignFunction").GetString());
        Assert.Equal("404 UnknownOperationException", node.GetProperty("restApi").GetString());
        Assert.Equal("404 UnknownOperationException", node.GetProperty("gateway").GetString());

        var python = await GetJsonAsync("/sdkapp/dev/pyprobe");
        Assert.NotEqual("allowed", python.GetProperty("foreignBucket").GetString());
        Assert.Equal("ResourceNotFoundException", python.GetProperty("foreignFunction").GetString());
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await _server.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task DeployAsync(string? token, string app)
    {
        var deployed = token is null
            ? await FerryCli.RunAsync(_server.BaseUrl, app, "deploy")
            : await FerryCli.RunAsAsync(token, _server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }
}
