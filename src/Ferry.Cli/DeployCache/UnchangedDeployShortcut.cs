using System.Diagnostics;
using System.Net;
using Ferry.Cli.Api;
using Ferry.Cli.Output;
using Ferry.Packaging;
using Ferry.Server.Api;

namespace Ferry.Cli.DeployCache;

/// <summary>
/// The deploy cache's side of <c>ferry deploy</c> (issue 12: an unchanged deploy makes no revision and costs little).
/// When nothing the last deploy from here read has changed, the CLI only asks the server whether that deploy's
/// revision is still live, and skips resolving, building, packaging and uploading; else the deploy runs in full and
/// its record is written afterwards.
/// </summary>
internal static class UnchangedDeployShortcut
{
    /// <summary>
    /// The server's answer for an unchanged deploy when the record of <paramref name="key"/> still matches what the
    /// deploy would read and the server confirms its revision is live; null when the deploy must run in full.
    /// </summary>
    public static async Task<DeploymentResult?> TryAsync(DeployCacheStore store, DeployCacheKey key,
        string appDirectory, string configPath, IReadOnlyDictionary<string, string> parameters,
        FerryApiClient client, CliOutput cli, CliContext context, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // On another core meanwhile: the connection and the HTTP stack's first use, which the question below then finds
        // ready (the record read and the comparison are ~30 ms of this process's start, the first request ~45 ms).
        var warmUp = Task.Run(() => client.WarmUpAsync(cancellationToken), cancellationToken);
        var record = store.TryLoad(key, out var problem);
        if (problem is not null)
        {
            cli.WriteNote($"Deploy cache: ignored {problem}; deploying in full");
        }

        if (record is null)
        {
            return null;
        }

        var loaded = Stopwatch.GetTimestamp();
        var built = record.Inputs.FolderPatterns.SequenceEqual(DeployInputs.WholeFolder, StringComparer.Ordinal);
        DeployInputs now;
        try
        {
            // With the record's recent files given, Take always returns inputs.
            now = DeployInputs.Take(appDirectory, configPath, parameters,
                record.Inputs.Files.Select(f => f.Path),
                DeployInputRecorder.VariablesToWatch(record.Inputs.Environment.Select(e => e.Name), built, context.EnvironmentNames()),
                context.Environment, record.Inputs.FolderPatterns, record.Inputs.RecentFiles.Select(f => f.Path), cancellationToken)!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArchiveException)
        {
            Debug(cli, context, $"the app can't be compared with the last deploy ({e.Message})");
            return null;
        }

        if (now.DifferenceFrom(record.Inputs) is { } difference)
        {
            Debug(cli, context, $"{difference} since revision {record.Revision}");
            return null;
        }

        var compared = Stopwatch.GetTimestamp();
        await warmUp;
        DeploymentResult result;
        try
        {
            result = await client.KeepIfUnchangedAsync(record.Query, cancellationToken);
        }
        catch (FerryApiException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            // 409 changed: deployed from elsewhere (or rolled back) since; 404/405: a server without this endpoint.
            cli.WriteNote($"Deploy cache: nothing changed here since revision {record.Revision}, but the server answered {e.Error.Message}; deploying in full");
            store.Forget(key);
            return null;
        }

        cli.WriteNote($"Deploy cache: nothing changed since revision {record.Revision} was deployed from here ({now}), and it is still live; nothing was built, packaged or uploaded (--force makes a new revision)");
        if (context.Debug)
        {
            var process = Process.GetCurrentProcess();
            cli.WriteNote($"Deploy cache: record read in {Stopwatch.GetElapsedTime(started, loaded).TotalMilliseconds:0.0} ms, "
                + $"app compared in {Stopwatch.GetElapsedTime(loaded, compared).TotalMilliseconds:0.0} ms, "
                + $"server answered in {Stopwatch.GetElapsedTime(compared).TotalMilliseconds:0.0} ms; "
                + $"{(DateTime.Now - process.StartTime).TotalMilliseconds:0} ms since the process started, {process.TotalProcessorTime.TotalMilliseconds:0} ms CPU");
        }

        return result;
    }

    /// <summary>Writes the record of a full deploy that went well; a record that can't be written only costs a warning.</summary>
    public static void Remember(DeployCacheStore store, DeployCacheKey key, DeployInputRecorder recorder, DeploymentResult result,
        CliOutput cli, CliContext context)
    {
        if (recorder.Snapshot is not { } inputs || result.PackageSha256 is not { } packageSha256 || result.ManifestSha256 is not { } manifestSha256)
        {
            // Nothing to compare with next time (an older server reports no digests): the next deploy runs in full too.
            store.Forget(key);
            return;
        }

        var record = new DeployCacheRecord
        {
            Key = key,
            Inputs = inputs,
            Service = result.Service,
            Stage = result.Stage,
            Region = result.Region,
            Revision = result.Revision,
            PackageSha256 = packageSha256,
            ManifestSha256 = manifestSha256,
            DeployedAt = context.Time.GetUtcNow(),
        };
        if (!store.TrySave(record, out var problem))
        {
            cli.WriteWarning($"Deploy cache: {problem}; the next deploy packages and uploads the app again");
        }
    }

    private static void Debug(CliOutput cli, CliContext context, string message)
    {
        if (context.Debug)
        {
            cli.WriteNote($"Deploy cache: {message}; deploying in full");
        }
    }
}
