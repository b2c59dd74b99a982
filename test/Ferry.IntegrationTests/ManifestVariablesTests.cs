using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// Variables and CloudFormation values as real Serverless Framework apps write them, deployed with the CLI and read
/// back from a function's environment: <c>${file()}</c>, <c>${aws:…}</c>, <c>!Ref</c>/<c>!GetAtt</c>/<c>Fn::Join</c>,
/// a manifest named serverless.yaml, an event type Ferry lacks, and a missing handler file.
/// </summary>
public sealed class ManifestVariablesTests : IAsyncLifetime
{
    private const string Manifest = """
        service: variables
        provider:
          name: aws
          runtime: nodejs20.x
          environment:
            GREETING: ${file(./config/${sls:stage}.json):greeting}
            DB_HOST: ${self:custom.settings.db.host}
            REGION: ${aws:region}
            ACCOUNT: ${aws:accountId}
            OPTIONAL: ${file(./config/missing.yml):value, 'fallback'}
        custom:
          settings: ${file(./config/settings.yml)}
        functions:
          env:
            handler: handler.env
            environment:
              BUCKET: !Ref Uploads
              BUCKET_ARN: !GetAtt Uploads.Arn
              SELF_ARN: { "Fn::GetAtt": [EnvLambdaFunction, Arn] }
              OBJECTS:
                Fn::Join: ['', ['arn:aws:s3:::', { Ref: Uploads }, '/*']]
            events:
              - httpApi: 'GET /env'
              - alexaSkill
        resources:
          Resources:
            Uploads:
              Type: AWS::S3::Bucket
              Properties:
                BucketName: !Sub '${AWS::StackName}-uploads'
        """;

    private const string Handler = """
        exports.env = async () => ({ statusCode: 200, body: JSON.stringify(process.env) });
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string CreateApp(string manifest, params (string Path, string Content)[] files)
    {
        var app = TestApp.Create(manifest, files);
        File.Move(Path.Combine(app, "serverless.yml"), Path.Combine(app, "serverless.yaml"));
        return app;
    }

    [Fact]
    public async Task File_aws_and_cloudformation_values_reach_the_function_environment()
    {
        var app = CreateApp(Manifest,
            ("handler.js", Handler),
            ("config/prod.json", """{ "greeting": "Hello from prod" }"""),
            ("config/settings.yml", "db:\n  host: db.${opt:stage}.internal\n"));

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, ["deploy", "--output", "json", "--stage", "prod", "--region", "eu-west-1"]);

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("event type 'alexaSkill' is not supported yet; ignored", deploy.Stderr);
        var deployed = JsonSerializer.Deserialize<DeploymentResult>(deploy.Stdout, ApiJson.Options)!;
        var env = await _server.Http.GetFromJsonAsync<JsonElement>(Assert.Single(deployed.Routes).Url);
        Assert.Equal("Hello from prod", env.GetProperty("GREETING").GetString());
        Assert.Equal("db.prod.internal", env.GetProperty("DB_HOST").GetString());
        Assert.Equal("eu-west-1", env.GetProperty("REGION").GetString());
        Assert.Equal("000000000000", env.GetProperty("ACCOUNT").GetString());
        Assert.Equal("fallback", env.GetProperty("OPTIONAL").GetString());
        Assert.Equal("variables-prod-uploads", env.GetProperty("BUCKET").GetString());
        Assert.Equal("arn:aws:s3:::variables-prod-uploads", env.GetProperty("BUCKET_ARN").GetString());
        Assert.Equal("arn:aws:lambda:eu-west-1:000000000000:function:variables-prod-env", env.GetProperty("SELF_ARN").GetString());
        Assert.Equal("arn:aws:s3:::variables-prod-uploads/*", env.GetProperty("OBJECTS").GetString());
    }

    [Fact]
    public async Task Errors_in_a_referenced_file_and_a_missing_handler_point_at_their_lines()
    {
        var badFile = CreateApp(Manifest,
            ("handler.js", Handler),
            ("config/dev.json", """{ "greeting": "hi" }"""),
            ("config/settings.yml", "db:\n  host: ${env:FERRY_TEST_UNSET_DB_HOST}\n"));

        var failed = await FerryCli.RunAsync(_server.BaseUrl, badFile, ["deploy"]);

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("config/settings.yml:2:9: error: cannot resolve '${env:FERRY_TEST_UNSET_DB_HOST}'", failed.Stderr);

        var noHandler = CreateApp(Manifest,
            ("config/dev.json", """{ "greeting": "hi" }"""),
            ("config/settings.yml", "db:\n  host: x\n"));

        var missing = await FerryCli.RunAsync(_server.BaseUrl, noHandler, ["deploy"]);

        Assert.Equal(1, missing.ExitCode);
        var errors = missing.Stderr.Split('\n').Where(line => line.Contains("error:", StringComparison.Ordinal)).ToList();
        Assert.StartsWith(
            "serverless.yaml:15:14: error: functions.env.handler 'handler.env' needs the file handler.js or handler.mjs or handler.cjs in the app folder",
            Assert.Single(errors));
    }
}
