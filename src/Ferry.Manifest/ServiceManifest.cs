using System.Text.Json.Serialization;

namespace Ferry.Manifest;

/// <summary>
/// A <c>serverless.yml</c> after variables are resolved and provider defaults are applied to each function.
/// This is the deployable description of an app: the CLI resolves it on the developer's machine (where
/// <c>${env:…}</c> and <c>${opt:…}</c> have meaning) and sends it, as JSON, with the code archive.
/// </summary>
public sealed record ServiceManifest
{
    public required string Service { get; init; }
    public required ProviderSettings Provider { get; init; }
    public required IReadOnlyList<FunctionManifest> Functions { get; init; }

    /// <summary>Resolved <c>params</c> for the selected stage (stage block merged over <c>default</c>).</summary>
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    /// <summary>Package include/exclude patterns (<c>package.patterns</c>), in order; a leading <c>!</c> excludes.</summary>
    public IReadOnlyList<string> PackagePatterns { get; init; } = [];

    /// <summary>Buckets of the app stage: declared under <c>resources</c>, or implied by an <c>s3</c> event.</summary>
    public IReadOnlyList<BucketDeclaration> Buckets { get; init; } = [];

    /// <summary>Databases of the app stage (<c>resources.databases</c>).</summary>
    public IReadOnlyList<DatabaseDeclaration> Databases { get; init; } = [];

    /// <summary>DynamoDB tables of the app stage (<c>AWS::DynamoDB::Table</c> resources).</summary>
    public IReadOnlyList<TableDeclaration> Tables { get; init; } = [];

    /// <summary><c>plugins</c> and <c>custom.esbuild</c>: what the CLI builds before packaging (not sent to the server).</summary>
    [JsonIgnore]
    public BuildSettings Build { get; init; } = new();

    /// <summary>Queues of the app stage (<c>AWS::SQS::Queue</c> under <c>resources.Resources</c>).</summary>
    public IReadOnlyList<QueueDeclaration> Queues { get; init; } = [];

    /// <summary>Custom domains deploying binds to the app stage (<c>custom.customDomain</c> / <c>custom.customDomains</c>).</summary>
    public IReadOnlyList<CustomDomainDeclaration> CustomDomains { get; init; } = [];
}

/// <summary>An <c>AWS::SQS::Queue</c>; unset settings take SQS's defaults.</summary>
/// <param name="LogicalName">The CloudFormation logical id.</param>
/// <param name="Name">The queue's name in the SQS API (<c>QueueName</c>, else <c>service-stage-logicalid</c>); unique per tenant.</param>
public sealed record QueueDeclaration(string LogicalName, string Name)
{
    public bool Fifo { get; init; }
    public bool ContentBasedDeduplication { get; init; }
    public int? VisibilityTimeout { get; init; }
    public int? MessageRetentionPeriod { get; init; }
    public int? DelaySeconds { get; init; }
    public int? MaximumMessageSize { get; init; }
    public int? ReceiveMessageWaitTimeSeconds { get; init; }

    /// <summary>The name of the queue that messages received <see cref="MaxReceiveCount"/> times move to (<c>RedrivePolicy</c>).</summary>
    public string? DeadLetterQueue { get; init; }
    public int? MaxReceiveCount { get; init; }

    /// <summary>The queue's URL as functions see it: the address placeholders are resolved per instance.</summary>
    public string Url => $"http://${{ferry:s3:host}}:${{ferry:s3:port}}/{ManifestDefaults.AccountId}/{Name}";

    public string Arn(string region) => $"arn:aws:sqs:{region}:{ManifestDefaults.AccountId}:{Name}";
}

/// <summary>An <c>sqs</c> event: batches of messages of the queue <paramref name="Queue"/> invoke the function, as Lambda's SQS event source mapping does.</summary>
/// <param name="Queue">The queue's name (see <see cref="QueueDeclaration.Name"/>).</param>
/// <param name="BatchSize">At most this many messages per invocation (1-10000; default 10).</param>
/// <param name="MaximumBatchingWindow">Seconds to wait for a fuller batch (0-300).</param>
/// <param name="ReportBatchItemFailures"><c>functionResponseType: ReportBatchItemFailures</c>: the function names the messages that failed; the others are deleted.</param>
public sealed record QueueEvent(string Queue, int BatchSize = 10, int MaximumBatchingWindow = 0, bool ReportBatchItemFailures = false, bool Enabled = true);

/// <summary>A DynamoDB table as CloudFormation declares it (the parts Ferry uses; capacity settings are ignored).</summary>
/// <param name="LogicalName">The CloudFormation logical id.</param>
/// <param name="Name">The table's name in the DynamoDB API; unique per app stage.</param>
/// <param name="AttributeTypes">Key attributes and their types (S, N or B).</param>
public sealed record TableDeclaration(
    string LogicalName,
    string Name,
    IReadOnlyDictionary<string, string> AttributeTypes,
    TableKey Key,
    IReadOnlyList<TableIndexDeclaration> GlobalIndexes,
    IReadOnlyList<TableIndexDeclaration> LocalIndexes);

/// <param name="SortKey">The RANGE key attribute, if any.</param>
public sealed record TableKey(string PartitionKey, string? SortKey);

/// <param name="Projection">ALL, KEYS_ONLY or INCLUDE.</param>
public sealed record TableIndexDeclaration(string Name, TableKey Key, string Projection, IReadOnlyList<string> NonKeyAttributes);

/// <summary>
/// A custom domain of serverless-domain-manager's <c>custom.customDomain(s)</c>: requests to <paramref name="DomainName"/>
/// (under <paramref name="BasePath"/>) reach the app stage at its own paths.
/// </summary>
/// <param name="DomainName">A host name (see <see cref="DomainNameRules"/>).</param>
/// <param name="BasePath">Normalized: <c>""</c> for the whole host, else <c>/a/b</c>.</param>
/// <param name="Key">Where it is declared, e.g. <c>custom.customDomains[1].domainName</c> (for error messages).</param>
/// <param name="Location">The file, line and column of <paramref name="Key"/>; kept in the JSON sent to the server so its errors can point there.</param>
public sealed record CustomDomainDeclaration(string DomainName, string BasePath = "", string? Key = null, SourceLocation? Location = null);

/// <param name="LogicalName">The name in serverless.yml (the CloudFormation logical id, or the key under <c>resources.buckets</c>).</param>
/// <param name="Name">The bucket's name in the S3 API; unique per tenant.</param>
public sealed record BucketDeclaration(string LogicalName, string Name);

/// <param name="Name">The database's name in serverless.yml; names its environment variables.</param>
public sealed record DatabaseDeclaration(string Name)
{
    /// <summary>
    /// Set when the database is another app stage's, used by this one (<c>resources.databases.NAME: { service, … }</c>):
    /// deploying never creates it and <c>ferry remove --delete-data</c> never deletes it. Null for the app stage's own.
    /// </summary>
    public DatabaseUse? Use { get; init; }

    /// <summary>What functions read for the database's URL (<c>Fn::GetAtt NAME.Url</c>): the server puts the URL there per instance.</summary>
    public string UrlReference => EnvironmentReference.Of(DatabaseVariables.Url(Name));
}

/// <summary>The database <paramref name="Database"/> declared by the app stage <paramref name="Service"/>/<paramref name="Stage"/>@<paramref name="Region"/> of the same tenant.</summary>
public sealed record DatabaseUse(string Service, string Stage, string Region, string Database)
{
    public override string ToString() => $"{Service}/{Stage}@{Region} database '{Database}'";
}

/// <summary>The environment variables a database gives functions (the server's <c>DatabaseEnvironment</c> names them the same way).</summary>
public static class DatabaseVariables
{
    /// <summary><c>FERRY_DATABASE_SHOP_DB_URL</c> for <c>shop-db</c>.</summary>
    public static string Url(string database) => "FERRY_DATABASE_" + database.ToUpperInvariant().Replace('-', '_') + "_URL";
}

/// <summary>
/// <c>${ferry:env:NAME}</c> in a function's environment: the value the server gives the variable NAME of the app
/// stage's resources (a database URL), filled in per instance so that no secret is stored with the app's settings.
/// </summary>
public static class EnvironmentReference
{
    public static string Of(string variable) => $"${{ferry:env:{variable}}}";
}

/// <summary>An <c>s3</c> event: objects created in (or removed from) <paramref name="Bucket"/> matching the rules invoke the function.</summary>
/// <param name="Bucket">The bucket's name (see <see cref="BucketDeclaration.Name"/>).</param>
/// <param name="Event">An S3 event type such as <c>s3:ObjectCreated:*</c> or <c>s3:ObjectRemoved:Delete</c>.</param>
public sealed record BucketEvent(string Bucket, string Event, string? Prefix = null, string? Suffix = null);

public sealed record ProviderSettings
{
    /// <summary><c>provider.name</c>; <c>aws</c> and <c>ferry</c> are accepted.</summary>
    public string Name { get; init; } = "ferry";
    public string? Runtime { get; init; }
    public required string Stage { get; init; }
    public required string Region { get; init; }
    public int MemorySize { get; init; } = ManifestDefaults.MemorySizeMb;
    public int Timeout { get; init; } = ManifestDefaults.TimeoutSeconds;
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary><c>provider.apiGateway.apiKeys</c>: the API keys deploying creates for <c>private: true</c> routes.</summary>
    public IReadOnlyList<ApiKeyDeclaration> ApiKeys { get; init; } = [];
}

public sealed record FunctionManifest
{
    /// <summary>The key under <c>functions:</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>file.export</c> for event functions; null for web functions.</summary>
    public string? Handler { get; init; }

    /// <summary>Effective runtime: function's own, else the provider's. <c>web</c> for web functions.</summary>
    public required string Runtime { get; init; }

    /// <summary>
    /// The command of a web function (argv, split like a shell would for simple quoting). Null in a loaded manifest
    /// when a framework preset supplies it: <c>ferry deploy</c> fills it in before uploading.
    /// </summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>
    /// <c>framework:</c> of a web function (one of <see cref="Frameworks.FrameworkNames.All"/>); null when not named, in
    /// which case a web function without a <c>command</c> has its framework detected from the app's files at deploy.
    /// </summary>
    public string? Framework { get; init; }

    public required int MemorySize { get; init; }
    public required int Timeout { get; init; }

    /// <summary>Provider environment merged with the function's (function wins).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<HttpRoute> Routes { get; init; } = [];

    /// <summary><c>schedule</c> events, in the order written (event functions only).</summary>
    public IReadOnlyList<ScheduleEvent> Schedules { get; init; } = [];

    /// <summary>The function's <c>s3</c> events.</summary>
    public IReadOnlyList<BucketEvent> BucketEvents { get; init; } = [];

    /// <summary>The function's <c>sqs</c> events.</summary>
    public IReadOnlyList<QueueEvent> QueueEvents { get; init; } = [];

    /// <summary>Instance limits of this function; unset values take the server's defaults.</summary>
    public FunctionScaling Scaling { get; init; } = new();

    /// <summary>How the function's asynchronous invocations (Event invokes, s3 events) are retried; null values take the server's defaults.</summary>
    public AsyncInvocationSettings AsyncInvocation { get; init; } = new();

    /// <summary>Whether instances may open outbound connections (then they share the host's network; default off).</summary>
    public bool OutboundNetwork { get; init; }

    /// <summary>
    /// The OCI image archive the function runs from instead of a handler (event functions with a <c>provided</c>
    /// runtime only); null for functions that run from the app's files.
    /// </summary>
    public FunctionImage? Image { get; init; }

    [JsonIgnore]
    public FunctionKind Kind => RuntimeCatalog.KindOf(Runtime);

    /// <summary>Where the function is declared in serverless.yml (for error messages); null after a JSON round trip.</summary>
    [JsonIgnore]
    public SourceLocation? Location { get; init; }

    /// <summary>Where the <c>handler</c> value is written (else <see cref="Location"/>); null after a JSON round trip.</summary>
    [JsonIgnore]
    public SourceLocation? HandlerLocation { get; init; }
}

/// <summary>
/// <c>image:</c> an OCI image archive (a tar of an OCI image layout, as <c>skopeo copy … oci-archive:</c> writes) in
/// the app folder. Its rootfs is the instance's root and its Entrypoint + Cmd the runtime loop, which speaks the
/// Lambda Runtime API like a Lambda container image. <see cref="EntryPoint"/>, <see cref="Command"/> and
/// <see cref="WorkingDirectory"/> override the image's (the Serverless <c>image</c> object's keys).
/// </summary>
/// <param name="Path">App-relative, '/'-separated, without <c>./</c>, <c>..</c> or a leading '/'.</param>
public sealed record FunctionImage(string Path)
{
    /// <summary>Replaces the image's Entrypoint (and, as in Docker, drops its Cmd unless <see cref="Command"/> is set too).</summary>
    public IReadOnlyList<string>? EntryPoint { get; init; }

    /// <summary>Replaces the image's Cmd (the arguments after the entry point).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Absolute path inside the image; replaces its WorkingDir.</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// An <c>httpApi</c> (payload format "2.0") or <c>http</c> (REST API, payload format "1.0") event.
/// Method is upper case or <c>*</c> (any); path starts with <c>/</c> or is <c>*</c> (any path).
/// </summary>
public sealed record HttpRoute(string Method, string Path, string PayloadFormat = HttpRoute.PayloadV2)
{
    public const string PayloadV2 = "2.0";
    public const string PayloadV1 = "1.0";

    /// <summary>The route's CORS settings (see <see cref="CorsSettings"/>); null when browsers of other origins are not served.</summary>
    public CorsSettings? Cors { get; init; }

    /// <summary><c>private: true</c> (<c>http</c> events): requests need an <c>x-api-key</c> header with one of the app stage's API keys.</summary>
    public bool Private { get; init; }
}

/// <summary>A <c>schedule</c> event: fire the function on a <see cref="ScheduleExpression"/>.</summary>
/// <param name="Expression"><c>rate(…)</c> or <c>cron(…)</c>, as written (see <see cref="ScheduleExpression.Parse"/>).</param>
/// <param name="Input">JSON text sent as the event instead of the EventBridge "Scheduled Event" document.</param>
public sealed record ScheduleEvent(string Expression, bool Enabled = true, string? Input = null);

/// <summary>
/// Per-function autoscaling: <c>minInstances</c> (alias <c>provisionedConcurrency</c>) kept warm, <c>maxInstances</c>
/// (alias <c>reservedConcurrency</c>), <c>concurrency</c> requests per web instance, <c>keepWarm</c> idle seconds
/// before an instance above the minimum is stopped.
/// </summary>
public sealed record FunctionScaling
{
    public const int MaxInstancesLimit = 1000;

    public int MinInstances { get; init; }
    public int? MaxInstances { get; init; }
    public int? Concurrency { get; init; }
    public int? KeepWarmSeconds { get; init; }
}

/// <summary><c>maximumRetryAttempts</c> (0-2) and <c>maximumEventAge</c> (seconds) of a function, as in Lambda.</summary>
public sealed record AsyncInvocationSettings
{
    public int? MaximumRetryAttempts { get; init; }

    public int? MaximumEventAgeSeconds { get; init; }
}

public enum FunctionKind
{
    /// <summary>Lambda model: a handler driven through the Runtime API, one request at a time per instance.</summary>
    Event,

    /// <summary>Any HTTP server listening on <c>$PORT</c>.</summary>
    Web,
}

public static class ManifestDefaults
{
    public const int MemorySizeMb = 1024;
    public const int TimeoutSeconds = 6;
    public const string Stage = "dev";
    public const string Region = "local";

    /// <summary>The account id in every ARN Ferry makes (<c>${aws:accountId}</c>, <c>AWS::AccountId</c>).</summary>
    public const string AccountId = "000000000000";
}

public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
