using Ferry.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Quotas;

/// <summary>
/// Deletes log lines and invocation records older than <see cref="FerryServerOptions.LogRetention"/>, in batches, every
/// <see cref="FerryServerOptions.RetentionInterval"/> and at start. Invocation records are summed into hourly usage
/// rollups first (see <see cref="IQuotaStore.DeleteExpiredAsync"/>), so usage and bills never change.
/// </summary>
public sealed partial class RetentionService(
    IQuotaStore store, FerryServerOptions options, TimeProvider time, ILogger<RetentionService> logger) : BackgroundService
{
    /// <summary>Rows per batch (per table): short transactions that never hold the store's write lock for long.</summary>
    public const int BatchSize = 5_000;

    /// <summary>Runs retention to the end once, with the cutoff "now − retention"; returns what was removed.</summary>
    public async Task<RetentionBatch> RunOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.LogRetention;
        long invocations = 0, removedUsage = 0, logs = 0;
        while (true)
        {
            var batch = await store.DeleteExpiredAsync(cutoff, BatchSize, cancellationToken);
            invocations += batch.InvocationsRolledUp;
            removedUsage += batch.RemovedAppUsageRolledUp;
            logs += batch.LogsDeleted;
            if (batch.InvocationsRolledUp < BatchSize && batch.RemovedAppUsageRolledUp < BatchSize && batch.LogsDeleted < BatchSize)
            {
                break;
            }

            await Task.Yield();
        }

        var total = new RetentionBatch(invocations, removedUsage, logs);
        if (total.Total > 0)
        {
            LogRemoved(logs, invocations, removedUsage, options.LogRetention.TotalDays);
        }

        return total;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.RetentionInterval, time, RunOnceAsync, LogFailed, stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Logs} log lines and {Invocations} invocation records (+{RemovedUsage} usage rows of removed apps) older than {Days} days; usage totals are kept in rollups")]
    private partial void LogRemoved(long logs, long invocations, long removedUsage, double days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention of logs and invocation records failed; it is retried at the next interval")]
    private partial void LogFailed(Exception exception);
}
