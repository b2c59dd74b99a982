namespace Ferry.Manifest.Loading;

/// <summary>
/// Serverless Framework keys Ferry accepts without using. "Quiet" keys are metadata or are kept for later features,
/// so they never warn; "unused" keys change behaviour on AWS, so the user is told once that Ferry ignores them.
/// Anything else that Ferry doesn't read is an unknown key (a warning, usually a typo).
/// </summary>
internal sealed class KnownKeys
{
    private readonly HashSet<string> quiet;
    private readonly HashSet<string> unused;

    private KnownKeys(IEnumerable<string> quiet, IEnumerable<string> unused)
    {
        this.quiet = new HashSet<string>(quiet, StringComparer.Ordinal);
        this.unused = new HashSet<string>(unused, StringComparer.Ordinal);
    }

    public static KnownKeys Root { get; } = new(
        quiet: ["frameworkVersion", "configValidationMode", "useDotenv", "variablesResolutionMode", "deprecationNotificationMode",
            "disabledDeprecations", "unresolvedVariablesNotificationMode", "org", "app", "console", "dashboard", "custom",
            "template", "outputs"],
        unused: ["layers", "stepFunctions", "build"]);

    public static KnownKeys Provider { get; } = new(
        quiet: ["profile", "versionFunctions", "architecture", "deploymentMethod", "stackName", "disableRollback",
            "lambdaHashingVersion", "apiName", "endpointType", "runtimeManagement", "logRetentionInDays"],
        unused: ["iamRoleStatements", "iamManagedPolicies", "iam", "role", "rolePermissionsBoundary", "deploymentBucket",
            "tags", "stackTags", "stackPolicy", "logs", "tracing", "vpc", "layers", "kmsKeyArn", "ecr",
            "eventBridge", "alb", "s3", "cfnRole", "notificationArns", "websocketsApiName", "websocketsApiRouteSelectionExpression"]);

    /// <summary><c>provider.httpApi</c> besides <c>cors</c>.</summary>
    public static KnownKeys HttpApi { get; } = new(
        quiet: ["name", "shouldStartNameWithService", "useProviderTags"],
        unused: ["authorizers", "payload", "id", "metrics", "disableDefaultEndpoint"]);

    /// <summary><c>provider.apiGateway</c> besides <c>apiKeys</c>.</summary>
    public static KnownKeys ApiGateway { get; } = new(
        quiet: ["shouldStartNameWithService", "description", "minimumCompressionSize", "binaryMediaTypes", "metrics"],
        unused: ["restApiId", "restApiRootResourceId", "restApiResources", "resourcePolicy", "usagePlan", "apiKeySourceType",
            "disableDefaultEndpoint", "websocketApiId", "request", "timeoutInMillis", "stage"]);

    public static KnownKeys Function { get; } = new(
        quiet: ["description", "architecture", "runtimeManagement"],
        unused: ["name", "package", "layers", "role", "vpc", "tags",
            "destinations", "url", "onError", "tracing", "kmsKeyArn",
            "disableLogs", "logRetentionInDays", "ephemeralStorageSize", "snapStart", "fileSystemConfig", "condition",
            "dependsOn", "iamRoleStatements", "iamRoleStatementsName"]);

    public static KnownKeys Package { get; } = new(
        quiet: [],
        unused: ["individually", "artifact", "excludeDevDependencies", "include", "exclude"]);

    public static KnownKeys HttpEvent { get; } = new(
        quiet: [],
        unused: ["authorizer", "private", "request", "response", "integration", "async", "operationId", "documentation"]);

    public static KnownKeys ScheduleEvent { get; } = new(
        quiet: ["name", "description"],
        unused: ["inputPath", "inputTransformer", "method", "timezone"]);

    public static KnownKeys BucketEvent { get; } = new(
        quiet: [],
        unused: ["filterPolicy"]);

    /// <summary>Keys of <c>resources</c> besides Ferry's <c>buckets</c>/<c>databases</c> and CloudFormation's <c>Resources</c>.</summary>
    public static KnownKeys Resources { get; } = new(
        quiet: ["Outputs", "Description"],
        unused: ["Conditions", "Mappings", "Parameters", "Transform", "extensions"]);

    public bool IsQuiet(string key) => quiet.Contains(key);

    public bool IsUnused(string key) => unused.Contains(key);
}
