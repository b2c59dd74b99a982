using System.Text;
using Ferry.Manifest;
using Ferry.Resources.Buckets;
using Ferry.Resources.Databases;
using Ferry.Resources.Queues;
using Ferry.Runtime;
using Ferry.Runtime.Sandbox;
using Ferry.Server.Deployments;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

/// <summary>
/// Provisions what an app stage declares under <c>resources</c> — buckets behind the S3-compatible endpoint and
/// databases (SQLite files, or a PostgreSQL database + role) — and tells its functions how to reach them. Provisioning
/// is idempotent: every deploy and every server start ensures the resources again. Data is only deleted on request
/// (<c>ferry remove --delete-data</c>).
/// </summary>
public sealed partial class AppResources(
    BucketStorage buckets,
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

    /// <exception cref="DeploymentException">A bucket is used by another app stage, an existing bucket is missing, or a database cannot be provisioned.</exception>
    public async Task<FunctionResources> ProvisionAsync(string tenant, ServiceManifest manifest, CancellationToken cancellationToken)
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
        var (keyId, secret) = secrets.FunctionBucketKey(identity);
        credentials.Grant(keyId, secret, tenant, usable, identity);
        foreach (var (name, value) in FunctionAwsEnvironment.For(keyId, secret))
        {
            environment[name] = value;
        }

        for (var i = 0; i < manifest.Databases.Count; i++)
        {
            var request = new DatabaseRequest(tenant, manifest.Service, provider.Stage, provider.Region, manifest.Databases[i].Name);
            DatabaseBinding binding;
            try
            {
                binding = await databases.EnsureAsync(request, cancellationToken);
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

        LogProvisioned(manifest.Service, provider.Stage, provider.Region, usable.Count, manifest.Databases.Count, databases.Engine);
        return new FunctionResources { Environment = environment, Services = services, Mounts = mounts };
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

        foreach (var database in manifest.Databases)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Resources of {Service}/{Stage}@{Region}: {Buckets} buckets, {Databases} databases ({Engine})")]
    private partial void LogProvisioned(string service, string stage, string region, int buckets, int databases, string engine);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted the data of {Service}/{Stage}@{Region}: {Deleted}")]
    private partial void LogDeleted(string service, string stage, string region, string deleted);
}
