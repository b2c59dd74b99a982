namespace Ferry.Server.Resources;

/// <summary>
/// The variables that let unchanged AWS SDK code inside a function talk to Ferry, as it talks to AWS on Lambda: the
/// function's credentials and one <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> per AWS API Ferry serves. Endpoint values
/// name their service with <c>${ferry:SERVICE:host}</c> placeholders (see <see cref="Ferry.Runtime.FunctionResources"/>),
/// because the address depends on the instance's network. AWS_REGION comes from the runtime (the app stage's region).
/// </summary>
public static class FunctionAwsEnvironment
{
    /// <summary>The resource service of the S3-compatible endpoint (which also answers DynamoDB and SQS by X-Amz-Target).</summary>
    public const string S3Service = "s3";

    /// <summary>The resource service of the Lambda API (the server's <c>/2015-03-31/functions/…/invocations</c>).</summary>
    public const string LambdaService = "lambda";

    /// <summary>Inside a private network the S3 endpoint is at 127.0.0.1:9100, the Lambda API at 127.0.0.1:9101.</summary>
    public const int S3PortInSandbox = 9100;

    public const int LambdaPortInSandbox = 9101;

    /// <summary>
    /// Which endpoint each AWS service's variable points at: the AWS service id as the SDKs spell it in
    /// <c>AWS_ENDPOINT_URL_&lt;ID&gt;</c>, and the Ferry resource service that answers it. Add a line here to serve
    /// another AWS API to functions.
    /// </summary>
    public static readonly IReadOnlyList<(string AwsServiceId, string ResourceService)> Endpoints =
    [
        ("S3", S3Service),
        ("DYNAMODB", S3Service),
        ("SQS", S3Service),
        ("LAMBDA", LambdaService),
    ];

    /// <summary>The variables for a function holding <paramref name="accessKeyId"/>/<paramref name="secretAccessKey"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(string accessKeyId, string secretAccessKey)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ACCESS_KEY_ID"] = accessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = secretAccessKey,
        };
        foreach (var (awsServiceId, resourceService) in Endpoints)
        {
            environment["AWS_ENDPOINT_URL_" + awsServiceId] = EndpointUrl(resourceService);
        }

        return environment;
    }

    /// <summary>"http://${ferry:s3:host}:${ferry:s3:port}".</summary>
    public static string EndpointUrl(string resourceService) => $"http://${{ferry:{resourceService}:host}}:${{ferry:{resourceService}:port}}";
}
