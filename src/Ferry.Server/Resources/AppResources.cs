using System.Text;
using Ferry.Manifest;
using Ferry.Resources.Buckets;
using Ferry.Resources.Databases;
using Ferry.Resources.Queues;
using Ferry.Resources.Tables;
using Ferry.Runtime;
using Ferry.Runtime.Sandbox;
using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

/// <summary>
/// Provisions what an app stage declares under <c>resources</c> — buckets behind the S3-compatible endpoint, DynamoDB
/// tables (served on the same endpoint, stored per app stage) and
/// databases (SQLite files, or a PostgreSQL database + role) — and tells its functions how to reach them. Provisioning
/// is idempotent: every deploy and every server start ensures the resources again. Data is only deleted on request
/// (<c>ferry remove --delete-data</c>).
/// </summary>
public sealed partial class AppResources(
    BucketStorage buckets,
    TableStore tables,
    FunctionAwsEndpoints awsEndpoints,
    FunctionBucketCredentials credentials,
    ResourceSecrets secrets,
    IDatabaseProvisioner databases,
    LiveApps live,
    QueueStore queues,
    ILogger<AppResources> logger)
{
    /// <summary>Inside a private network a PostgreSQL server is at 127.0.0.1:5432 (the AWS endpoints: <see cref="FunctionAwsEnvironment"/>).</summary>
    public const int PostgresPortInSandbox = 5432;

    /// <summary>What the databases are: "sqlite" (a file per database) or "postgres".</summary>
    public string DatabaseEngine => databases.Engine;

    /// <summary>Where a SQLite database another app stage owns is bound in the sandbox: <c>/var/ferry/used-databases/SERVICE.STAGE.REGION</c>.</summary>
    public const string UsedDatabasesSandboxDirectory = "/var/ferry/used-databases";

    /// <param name="restoring">
    /// A server start restores a revision accepted before: the app stages whose databases it uses may be restored
    /// after it, so they need not be live (a deploy requires them to be).
    /// </param>
    /// <exception cref="DeploymentException">
    /// A bucket is used by another app stage, an existing bucket is missing, a database cannot be provisioned, a used
    /// database is not declared by a live app stage of the tenant (<c>database_missing</c>), or a function's environment
    /// names a variable no resource provides (<c>environment_invalid</c>).
    /// </exception>
    public async Task<FunctionResources> ProvisionAsync(string tenant, ServiceManifest manifest, CancellationToken cancellationToken, bool restoring = false)
    {
        var provider = manifest.Provider;
        var identity = Identity(tenant, manifest.Service, provider.Stage, provider.Region);
        CheckBucketOwnership(tenant, manifest);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        // Every function reaches Ferry's AWS APIs (S3, DynamoDB, SQS, Lambda) with its app stage's key.
        var services = new List<ResourceService>(await awsEndpoints.GetAsync(cancellationToken));
        var mounts = new List<SandboxMount>();

        var usable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var bucket in manifest.Buckets)
        {
            await buckets.CreateBucketAsync(new BucketAddress(tenant, bucket.Name), cancellationToken);
            usable.Add(bucket.Name);
            environment["FERRY_BUCKET_" + EnvironmentName(bucket.LogicalName)] = bucket.Name;
        }

        foreach (var existing in manifest.Functions.SelectMany(f => f.BucketEvents).Select(e => e.Bucket).Where(b => !usable.Contains(b)).Distinct())
        {
            if (!buckets.Exists(new BucketAddress(tenant, existing)))
            {
                throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "bucket_missing",
                    $"An s3 event uses the existing bucket '{existing}', but this tenant has no such bucket; declare it under resources.buckets (or deploy the app that declares it first)");
            }

            usable.Add(existing);
        }

        await ProvisionQueuesAsync(tenant, identity, manifest, cancellationToken);

        // Tables live in the app stage's own database; its functions' key reaches them and nothing of other app stages.
        var tableScope = new TableScope(tenant, manifest.Service, provider.Stage, provider.Region);
        foreach (var table in manifest.Tables)
        {
            try
            {
                await tables.EnsureTableAsync(tableScope, table, cancellationToken);
            }
            catch (DynamoDbException ex)
            {
                throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "table_invalid",
                    $"Table '{table.Name}' (resources.Resources.{table.LogicalName}) can't be provisioned: {ex.Message}");
            }

            environment["FERRY_TABLE_" + EnvironmentName(table.LogicalName)] = table.Name;
        }

        var (keyId, secret) = secrets.FunctionBucketKey(identity);
        credentials.Grant(keyId, secret, tenant, usable, identity, tableScope);
        foreach (var (name, value) in FunctionAwsEnvironment.For(keyId, secret))
        {
            environment[name] = value;
        }

        for (var i = 0; i < manifest.Databases.Count; i++)
        {
            var database = manifest.Databases[i];
            DatabaseBinding binding;
            try
            {
                binding = database.Use is { } use
                    ? await UsedDatabaseAsync(tenant, database.Name, use, restoring, cancellationToken)
                    : await databases.EnsureAsync(new DatabaseRequest(tenant, manifest.Service, provider.Stage, provider.Region, database.Name), cancellationToken);
            }
            catch (DatabaseProvisioningException ex)
            {
                throw new DeploymentException(StatusCodes.Status503ServiceUnavailable, "database_unavailable", ex.Message);
            }

            binding = i == 0 ? DatabaseBinding.Primary(binding) : binding;
            foreach (var (name, value) in binding.Environment)
            {
                environment[name] = value;
            }

            if (binding.Mount is { } mount && !mounts.Any(m => m.SandboxPath == mount.SandboxPath))
            {
                mounts.Add(new SandboxMount(mount.HostPath, mount.SandboxPath));
            }

            if (binding.Service is { } service && !services.Any(s => s.Name == service.Name))
            {
                services.Add(new ResourceService(service.Name, PostgresPortInSandbox, service.RelaySocketPath, service.HostAddress, service.HostPort));
            }
        }

        var resources = new FunctionResources { Environment = environment, Services = services, Mounts = mounts };
        foreach (var function in manifest.Functions)
        {
            foreach (var (name, value) in function.Environment)
            {
                if (resources.UnknownVariables(value).FirstOrDefault() is { } unknown)
                {
                    throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "environment_invalid",
                        $"Function '{function.Name}': environment variable {name} reads {EnvironmentReference.Of(unknown)}, but no resource of this app provides {unknown} (a database's URL is FERRY_DATABASE_<NAME>_URL of a database under resources.databases)");
                }
            }
        }

        LogProvisioned(manifest.Service, provider.Stage, provider.Region, usable.Count, manifest.Tables.Count, manifest.Databases.Count, databases.Engine);
        return resources;
    }

    /// <summary>
    /// How functions reach another app stage's database, used as <paramref name="localName"/>: as its owner does (the
    /// owner's PostgreSQL role; the owner's SQLite folder, bound at its own place in the sandbox). A deploy requires the
    /// owner to be live in the same tenant and to declare the database; using never creates a database.
    /// </summary>
    private async Task<DatabaseBinding> UsedDatabaseAsync(string tenant, string localName, DatabaseUse use, bool restoring, CancellationToken cancellationToken)
    {
        string Refusal(string why) =>
            $"resources.databases.{localName} uses the database '{use.Database}' of {use.Service} (stage {use.Stage}, region {use.Region}), but {why}; a database is used only while the app stage that declares it is deployed";

        if (!restoring)
        {
            var owner = live.Get(use.Service, use.Stage, use.Region) is { } found && found.AppStage.Tenant == tenant ? found : null;
            if (owner is null)
            {
                throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "database_missing", Refusal("that app stage is not deployed in this tenant"));
            }

            var declared = owner.Manifest.Databases.Where(d => d.Use is null).Select(d => d.Name).ToList();
            if (!declared.Contains(use.Database, StringComparer.Ordinal))
            {
                throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "database_missing", Refusal(declared.Count == 0
                    ? "it declares no databases"
                    : $"it declares only {string.Join(", ", declared.Select(d => $"'{d}'"))}"));
            }
        }

        var request = new DatabaseRequest(tenant, use.Service, use.Stage, use.Region, use.Database);
        try
        {
            request.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "database_missing", Refusal(ex.Message));
        }

        if (databases is SqliteDatabaseProvisioner sqlite && !File.Exists(sqlite.HostFilePath(request)))
        {
            // Its owner was removed with --delete-data: it is not made again for a user.
            throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "database_missing", Refusal("the database does not exist"));
        }

        var binding = await databases.EnsureAsync(request, cancellationToken);
        return binding.UsedAs(localName, $"{UsedDatabasesSandboxDirectory}/{use.Service}.{use.Stage}.{use.Region}");
    }

    /// <summary>
    /// After an app stage is removed: its functions' bucket key stops working; with <paramref name="deleteData"/> its
    /// buckets (with their objects) and databases are deleted too. Returns what was deleted, for the caller to report.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReleaseAsync(string tenant, ServiceManifest manifest, bool deleteData, CancellationToken cancellationToken)
    {
        var provider = manifest.Provider;
        credentials.Revoke(secrets.FunctionBucketKey(Identity(tenant, manifest.Service, provider.Stage, provider.Region)).AccessKeyId);
        var deleted = new List<string>();
        if (!deleteData)
        {
            return deleted;
        }

        foreach (var bucket in manifest.Buckets)
        {
            var address = new BucketAddress(tenant, bucket.Name);
            if (buckets.Exists(address))
            {
                await buckets.DeleteBucketAsync(address, cancellationToken);
                deleted.Add($"bucket {bucket.Name}");
            }
        }

        foreach (var queue in manifest.Queues)
        {
            if (await queues.FindAsync(new QueueAddress(tenant, queue.Name), cancellationToken) is { } stored
                && stored.AppStage == Identity(tenant, manifest.Service, provider.Stage, provider.Region)
                && await queues.DeleteAsync(stored.Address, cancellationToken))
            {
                deleted.Add($"queue {queue.Name}");
            }
        }

        if (await tables.DeleteScopeAsync(new TableScope(tenant, manifest.Service, provider.Stage, provider.Region), cancellationToken))
        {
            deleted.Add($"tables ({string.Join(", ", manifest.Tables.Select(t => t.Name))})");
        }

        // Databases used from other app stages are their owners' to delete.
        foreach (var database in manifest.Databases.Where(d => d.Use is null))
        {
            var request = new DatabaseRequest(tenant, manifest.Service, provider.Stage, provider.Region, database.Name);
            if (await databases.DropAsync(request, cancellationToken))
            {
                deleted.Add($"database {database.Name}");
            }
        }

        LogDeleted(manifest.Service, provider.Stage, provider.Region, string.Join(", ", deleted));
        return deleted;
    }

    /// <summary>The other live app stages of <paramref name="owner"/>'s tenant that use one of its databases ("service (stage s, region r)").</summary>
    public IReadOnlyList<string> UsersOfDatabases(LiveApp owner)
    {
        var stage = owner.AppStage;
        return [.. live.All
            .Where(other => other.AppStage.Tenant == stage.Tenant && other.Manifest.Databases.Any(d => d.Use is { } use
                && use.Service == stage.Service && use.Stage == stage.Stage && use.Region == stage.Region
                && owner.Manifest.Databases.Any(mine => mine.Use is null && mine.Name == use.Database)))
            .Select(other => $"{other.AppStage.Service} (stage {other.AppStage.Stage}, region {other.AppStage.Region})")
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Bucket names are unique per tenant: two app stages of one tenant cannot both declare the same bucket.</summary>
    private void CheckBucketOwnership(string tenant, ServiceManifest manifest)
    {
        var provider = manifest.Provider;
        foreach (var other in live.All.Where(a => a.AppStage.Tenant == tenant))
        {
            var stage = other.AppStage;
            if (stage.Service == manifest.Service && stage.Stage == provider.Stage && stage.Region == provider.Region)
            {
                continue;
            }

            if (other.Manifest.Buckets.FirstOrDefault(b => manifest.Buckets.Any(mine => mine.Name == b.Name)) is { } taken)
            {
                throw new DeploymentException(StatusCodes.Status409Conflict, "bucket_taken",
                    $"Bucket '{taken.Name}' is already declared by {stage.Service} (stage {stage.Stage}, region {stage.Region}); bucket names are unique per tenant — name it differently, or use it from an s3 event with 'existing: true'");
            }
        }
    }

    /// <summary>The app stage's identity: names its function key, and owns its queues.</summary>
    public static string Identity(string tenant, string service, string stage, string region) => $"{tenant}/{service}/{stage}/{region}";

    /// <summary>Creates the declared queues, or brings their settings up to date; messages already queued stay.</summary>
    private async Task ProvisionQueuesAsync(string tenant, string identity, ServiceManifest manifest, CancellationToken cancellationToken)
    {
        foreach (var queue in manifest.Queues)
        {
            var settings = SettingsOf(queue);
            if (settings.Problem() is { } problem)
            {
                throw new DeploymentException(StatusCodes.Status422UnprocessableEntity, "queue_invalid", $"Queue '{queue.Name}' ({queue.LogicalName}): {problem}");
            }

            try
            {
                await queues.EnsureAsync(new QueueAddress(tenant, queue.Name), identity, settings, cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                throw new DeploymentException(StatusCodes.Status409Conflict, "queue_taken", $"{ex.Message}; name the queue differently (QueueName of {queue.LogicalName})");
            }
        }
    }

    public static QueueSettings SettingsOf(QueueDeclaration queue)
    {
        var defaults = new QueueSettings();
        return defaults with
        {
            Fifo = queue.Fifo,
            ContentBasedDeduplication = queue.ContentBasedDeduplication,
            VisibilityTimeoutSeconds = queue.VisibilityTimeout ?? defaults.VisibilityTimeoutSeconds,
            MessageRetentionSeconds = queue.MessageRetentionPeriod ?? defaults.MessageRetentionSeconds,
            DelaySeconds = queue.DelaySeconds ?? defaults.DelaySeconds,
            MaximumMessageBytes = queue.MaximumMessageSize ?? defaults.MaximumMessageBytes,
            ReceiveWaitTimeSeconds = queue.ReceiveMessageWaitTimeSeconds ?? defaults.ReceiveWaitTimeSeconds,
            DeadLetterQueue = queue.DeadLetterQueue,
            MaxReceiveCount = queue.MaxReceiveCount ?? 0,
        };
    }

    /// <summary>"photos-Bucket" → "PHOTOS_BUCKET".</summary>
    private static string EnvironmentName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return builder.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resources of {Service}/{Stage}@{Region}: {Buckets} buckets, {Tables} tables, {Databases} databases ({Engine})")]
    private partial void LogProvisioned(string service, string stage, string region, int buckets, int tables, int databases, string engine);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted the data of {Service}/{Stage}@{Region}: {Deleted}")]
    private partial void LogDeleted(string service, string stage, string region, string deleted);
}
