using Ferry.Runtime;
using Ferry.Server.Resources;

namespace Ferry.IntegrationTests;

/// <summary>The variables that point a function's AWS SDKs at Ferry (pure logic: no server is started).</summary>
public sealed class FunctionAwsEnvironmentTests
{
    private static readonly ResourceService[] Services =
    [
        new(FunctionAwsEnvironment.S3Service, FunctionAwsEnvironment.S3PortInSandbox, "/run/s3.sock", "127.0.0.1", 40100),
        new(FunctionAwsEnvironment.LambdaService, FunctionAwsEnvironment.LambdaPortInSandbox, "/run/lambda.sock", "127.0.0.1", 40200),
    ];

    [Fact]
    public void A_private_network_reaches_s3_dynamodb_and_sqs_on_the_bucket_bridge_and_lambda_on_its_own()
    {
        var resources = new FunctionResources { Environment = FunctionAwsEnvironment.For("FRYFKEY", "secret"), Services = Services };

        var environment = resources.ResolveEnvironment(privateNetwork: true);

        Assert.Equal("FRYFKEY", environment["AWS_ACCESS_KEY_ID"]);
        Assert.Equal("secret", environment["AWS_SECRET_ACCESS_KEY"]);
        Assert.Equal("http://127.0.0.1:9100", environment["AWS_ENDPOINT_URL_S3"]);
        Assert.Equal("http://127.0.0.1:9100", environment["AWS_ENDPOINT_URL_DYNAMODB"]);
        Assert.Equal("http://127.0.0.1:9100", environment["AWS_ENDPOINT_URL_SQS"]);
        Assert.Equal("http://127.0.0.1:9101", environment["AWS_ENDPOINT_URL_LAMBDA"]);
        // No session token: the key is the function's own, and SDKs sign without one.
        Assert.DoesNotContain("AWS_SESSION_TOKEN", environment.Keys);
    }

    [Fact]
    public void The_hosts_network_reaches_the_services_tcp_ports()
    {
        var resources = new FunctionResources { Environment = FunctionAwsEnvironment.For("FRYFKEY", "secret"), Services = Services };

        var environment = resources.ResolveEnvironment(privateNetwork: false);

        Assert.Equal("http://127.0.0.1:40100", environment["AWS_ENDPOINT_URL_S3"]);
        Assert.Equal("http://127.0.0.1:40100", environment["AWS_ENDPOINT_URL_DYNAMODB"]);
        Assert.Equal("http://127.0.0.1:40200", environment["AWS_ENDPOINT_URL_LAMBDA"]);
    }

    [Fact]
    public void Every_endpoint_variable_names_a_service_the_functions_get()
    {
        var variables = FunctionAwsEnvironment.For("k", "s").Keys.Where(k => k.StartsWith("AWS_ENDPOINT_URL_", StringComparison.Ordinal)).Order().ToList();

        Assert.Equal(["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"], variables);
        Assert.All(FunctionAwsEnvironment.Endpoints, endpoint => Assert.Contains(Services, s => s.Name == endpoint.ResourceService));
    }

    [Fact]
    public void Each_app_stage_gets_a_key_of_its_own_that_stays_the_same_for_the_same_secret()
    {
        var secrets = new ResourceSecrets(new byte[32]);

        var first = secrets.FunctionBucketKey("default/shop/dev/local");
        Assert.Equal(first, new ResourceSecrets(new byte[32]).FunctionBucketKey("default/shop/dev/local"));
        Assert.NotEqual(first, secrets.FunctionBucketKey("default/shop/prod/local"));
        Assert.NotEqual(first, secrets.FunctionBucketKey("other/shop/dev/local"));
        Assert.StartsWith(ResourceSecrets.FunctionKeyPrefix, first.AccessKeyId);
        Assert.Equal(20, first.AccessKeyId.Length);
    }
}
