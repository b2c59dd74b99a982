using Ferry.Resources.Buckets;
using Ferry.Resources.Databases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

public static class ResourcesRegistration
{
    /// <summary>
    /// Buckets (folders under <c>&lt;data&gt;/buckets</c> behind the S3-compatible endpoint) and databases: SQLite files
    /// under <c>&lt;data&gt;/databases</c>, or a database + role per app stage on <see cref="FerryServerOptions.DatabaseServer"/>.
    /// </summary>
    public static async Task AddFerryResourcesAsync(this IServiceCollection services, FerryServerOptions options, string dataDirectory, CancellationToken cancellationToken)
    {
        var key = await PostgresPasswordKey.LoadOrCreateAsync(Path.Combine(dataDirectory, "resource-secret.key"), cancellationToken);
        services.AddSingleton(new ResourceSecrets(key));
        services.AddSingleton(new BucketStorage(Path.Combine(dataDirectory, "buckets")));
        services.AddSingleton<FunctionBucketCredentials>();
        services.AddSingleton(sp => new Ferry.Resources.Queues.QueueStore(Path.Combine(dataDirectory, "queues.db"), TimeProvider.System));
        services.AddHostedService<QueueEventPoller>();
        services.AddSingleton<BucketEventDispatcher>();
        services.AddSingleton<BucketEndpointService>();
        services.AddSingleton<FunctionAwsEndpoints>();
        services.AddSingleton<AppResources>();
        if (options.DatabaseServer is { } server)
        {
            var relayDirectory = Directory.CreateTempSubdirectory("ferry-pg-");
            services.AddSingleton<IDatabaseProvisioner>(sp => new PostgresDatabaseProvisioner(
                new PostgresDatabaseOptions
                {
                    AdminConnectionString = server,
                    PasswordKey = key,
                    RelaySocketPath = Path.Combine(relayDirectory.FullName, ".s.PGSQL.5432"),
                },
                sp.GetRequiredService<ILogger<PostgresDatabaseProvisioner>>()));
        }
        else
        {
            services.AddSingleton<IDatabaseProvisioner>(new SqliteDatabaseProvisioner(Path.Combine(dataDirectory, "databases")));
        }
    }
}
