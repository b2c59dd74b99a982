using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Quotas;

/// <summary>
/// Measures each tenant's storage by walking its folders: <c>buckets/TENANT</c> (objects, unfinished uploads),
/// <c>databases/TENANT</c> (SQLite database folders) and <c>tables/TENANT</c> (DynamoDB-compatible tables), every <see cref="FerryServerOptions.StorageScanInterval"/> and at
/// start. Between scans a tenant can write past its quota; the next scan notices and from then on bucket writes and
/// new instance starts (and table writes) are refused. Databases on a PostgreSQL server (<c>--database-server</c>) are not counted.
/// The same tick re-reads the quotas from the store.
/// </summary>
public sealed partial class TenantStorageMeter(
    TenantQuotas quotas, FerryServerOptions options, TimeProvider time, ILogger<TenantStorageMeter> logger) : BackgroundService
{
    private static readonly EnumerationOptions AllFiles = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        // Symbolic links are not followed: a link to a large file elsewhere is not the tenant's data.
        AttributesToSkip = FileAttributes.ReparsePoint,
    };

    private string[] Roots => [.. new[] { "buckets", "databases", "tables" }.Select(root => Path.Combine(Path.GetFullPath(options.DataDirectory), root))];

    /// <summary>Measures every tenant now and records the result; returns bytes per tenant.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ScanAsync(CancellationToken cancellationToken)
    {
        var measured = await Task.Run(() => Measure(cancellationToken), cancellationToken);
        quotas.RecordStorage(measured, time.GetUtcNow());
        return measured;
    }

    private Dictionary<string, long> Measure(CancellationToken cancellationToken)
    {
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var root in Roots.Where(Directory.Exists))
        {
            foreach (var tenantDirectory in new DirectoryInfo(root).EnumerateDirectories())
            {
                cancellationToken.ThrowIfCancellationRequested();
                long sum = 0;
                foreach (var file in tenantDirectory.EnumerateFiles("*", AllFiles))
                {
                    sum += file.Length;
                }

                bytes[tenantDirectory.Name] = bytes.GetValueOrDefault(tenantDirectory.Name) + sum;
            }
        }

        return bytes;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.StorageScanInterval, time, async cancellationToken =>
        {
            await quotas.RefreshAsync(cancellationToken);
            await ScanAsync(cancellationToken);
        }, LogScanFailed, stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Measuring tenants' storage failed; quotas keep the last measurement")]
    private partial void LogScanFailed(Exception exception);
}
