using System.Data;
using System.Data.Common;
using System.Text;
using static Ferry.Store.StoreRows;

namespace Ferry.Store;

/// <summary>
/// <see cref="IControlPlaneStore"/> over ADO.NET (no ORM): every query is written once, here, and runs on SQLite
/// (<see cref="SqliteFerryStore"/>) or PostgreSQL (<see cref="Postgres.PostgresFerryStore"/>), whose differences are
/// kept in a small <see cref="StoreDialect"/>. Every operation opens its own pooled connection, so the store is safe
/// to call concurrently. Times are stored as UTC unix milliseconds; sub-millisecond precision is dropped.
/// Call <see cref="InitializeAsync"/> once before anything else.
/// </summary>
public abstract partial class FerryStore : IControlPlaneStore
{
    private readonly StoreDialect _dialect;
    private readonly TimeProvider _timeProvider;
    private readonly StoredSecrets _secrets;

    /// <param name="timeProvider">Clock for created/updated timestamps.</param>
    /// <param name="secrets">Encrypts access-key secrets and template parameter values; null keeps them plain (tests only).</param>
    private protected FerryStore(StoreDialect dialect, TimeProvider timeProvider, IStoredSecretProtector? secrets)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _dialect = dialect;
        _timeProvider = timeProvider;
        _secrets = new StoredSecrets(secrets);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await _dialect.MigrateAsync(connection, cancellationToken);
        await EncryptPlainSecretsAsync(connection, cancellationToken);
    }

    public async Task<AppStage?> FindAppStageAsync(
        string tenant, string service, string stage, string region, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {AppStageColumns} FROM app_stages " +
                "WHERE tenant = @tenant AND service = @service AND stage = @stage AND region = @region;")
            .With("tenant", tenant).With("service", service).With("stage", stage).With("region", region);
        return await ReadSingleAsync(command, ReadAppStage, cancellationToken);
    }

    public async Task<AppStage?> GetAppStageAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {AppStageColumns} FROM app_stages WHERE id = @id;")
            .With("id", appStageId);
        return await ReadSingleAsync(command, ReadAppStage, cancellationToken);
    }

    public async Task<IReadOnlyList<AppStage>> ListAppStagesAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {AppStageColumns} FROM app_stages WHERE @tenant IS NULL OR tenant = @tenant " +
                "ORDER BY service, stage, region, tenant;")
            .With("tenant", tenant);
        return await ReadAllAsync(command, ReadAppStage, cancellationToken);
    }

    public Task<(AppStage AppStage, Revision Revision)> AddRevisionAsync(
        string tenant, string service, string stage, string region,
        string artifactSha256, string manifestJson, CancellationToken cancellationToken)
        => AddRevisionAsync(tenant, service, stage, region, artifactSha256, manifestJson, activate: true, cancellationToken);

    public async Task<(AppStage AppStage, Revision Revision)> AddRevisionAsync(
        string tenant, string service, string stage, string region,
        string artifactSha256, string manifestJson, bool activate, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);

        await using (var ensure = connection.Command(
                         "INSERT INTO app_stages (tenant, service, stage, region, created_at, updated_at) " +
                         "VALUES (@tenant, @service, @stage, @region, @now, @now) " +
                         "ON CONFLICT (tenant, service, stage, region) DO NOTHING;", transaction)
                     .With("tenant", tenant).With("service", service).With("stage", stage).With("region", region).With("now", now))
        {
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        // The write lock (SQLite) or the row lock (PostgreSQL) serializes concurrent deploys of one app stage, so each
        // reads the highest revision number only after the previous deploy committed its revision.
        long appStageId;
        await using (var find = connection.Command(
                         "SELECT id FROM app_stages WHERE tenant = @tenant AND service = @service AND stage = @stage AND region = @region" +
                         $"{_dialect.ForUpdate};", transaction)
                     .With("tenant", tenant).With("service", service).With("stage", stage).With("region", region))
        {
            appStageId = (long)(await find.ExecuteScalarAsync(cancellationToken))!;
        }

        Revision revision;
        await using (var insert = connection.Command(
                         "INSERT INTO revisions (app_stage_id, number, artifact_sha256, manifest_json, created_at) " +
                         "VALUES (@appStageId, (SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE app_stage_id = @appStageId), " +
                         $"@artifact, @manifest, @now) RETURNING {RevisionColumns};", transaction)
                     .With("appStageId", appStageId).With("artifact", artifactSha256).With("manifest", manifestJson).With("now", now))
        {
            revision = (await ReadSingleAsync(insert, ReadRevision, cancellationToken))!;
        }

        AppStage appStage;
        await using (var update = connection.Command(
                         "UPDATE app_stages SET active_revision_id = CASE WHEN @activate THEN @revisionId ELSE active_revision_id END, " +
                         $"updated_at = @now WHERE id = @appStageId RETURNING {AppStageColumns};", transaction)
                     .With("revisionId", revision.Id).With("now", now).With("appStageId", appStageId).With("activate", activate))
        {
            appStage = (await ReadSingleAsync(update, ReadAppStage, cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
        return (appStage, revision);
    }

    public async Task SetActiveRevisionAsync(long appStageId, long revisionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                "UPDATE app_stages SET active_revision_id = @revisionId, updated_at = @now " +
                "WHERE id = @appStageId AND EXISTS (SELECT 1 FROM revisions WHERE id = @revisionId AND app_stage_id = @appStageId);")
            .With("revisionId", revisionId).With("appStageId", appStageId).With("now", Now());
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return;
        }

        await using var exists = connection.Command("SELECT COUNT(*) FROM app_stages WHERE id = @id;").With("id", appStageId);
        throw (long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0
            ? new KeyNotFoundException($"App stage {appStageId} does not exist.")
            : new KeyNotFoundException($"Revision {revisionId} does not exist or is not a revision of app stage {appStageId}.");
    }

    public async Task<Revision?> GetRevisionAsync(long revisionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {RevisionColumns} FROM revisions WHERE id = @id;").With("id", revisionId);
        return await ReadSingleAsync(command, ReadRevision, cancellationToken);
    }

    public async Task<IReadOnlyList<Revision>> ListRevisionsAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {RevisionColumns} FROM revisions WHERE app_stage_id = @appStageId ORDER BY number DESC;")
            .With("appStageId", appStageId);
        return await ReadAllAsync(command, ReadRevision, cancellationToken);
    }

    public async Task<bool> DeleteAppStageAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);

        // The app stage is written first: from here an invocation recorded concurrently waits (on the write lock, or on
        // the row through its foreign key) and then fails, rather than slipping in between keeping the usage and the
        // delete. The active revision is cleared because the cascade to revisions would otherwise set it on the very
        // row being deleted.
        await using (var detach = connection.Command(
                         "UPDATE app_stages SET active_revision_id = NULL WHERE id = @id;", transaction).With("id", appStageId))
        {
            if (await detach.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        await using (var keepUsage = connection.Command(RemovedAppUsage.CopySql("@id"), transaction).With("id", appStageId))
        {
            await keepUsage.ExecuteNonQueryAsync(cancellationToken);
        }

        // Foreign keys cascade to revisions, logs and invocations.
        await using (var delete = connection.Command("DELETE FROM app_stages WHERE id = @id;", transaction).With("id", appStageId))
        {
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<LogEntry>> AppendLogsAsync(IReadOnlyList<NewLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return [];
        }

        entries = StoredText.WithoutNulCharacters(entries, static e => e.Message, static (e, message) => e with { Message = message });
        var lineCount = 0;
        foreach (var entry in entries)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entry.LineCount);
            lineCount += entry.LineCount;
        }

        // Ids are reserved for every line, and a row takes its last line's id (see LogEntry.FromRow).
        await using var connection = await OpenForTelemetryAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        var nextId = await _dialect.ReserveIdsAsync(transaction, "logs", lineCount, cancellationToken);
        var rows = new StoredLogRow[entries.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            nextId += entries[i].LineCount;
            rows[i] = new StoredLogRow(nextId - 1, entries[i]);
        }

        await _dialect.InsertRowsAsync(transaction, "logs", LogBatchColumns, rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var stored = new List<LogEntry>(lineCount);
        foreach (var row in rows)
        {
            stored.AddRange(row.Entry.Stored(row.Id));
        }

        return stored;
    }

    /// <summary>A log row as inserted: the entry and the id of its last line.</summary>
    private sealed record StoredLogRow(long Id, NewLogEntry Entry);

    public async Task<IReadOnlyList<LogEntry>> QueryLogsAsync(LogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder($"SELECT {LogColumns} FROM logs WHERE app_stage_id = @appStageId");
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.With("appStageId", query.AppStageId);
        if (query.Function is not null)
        {
            sql.Append(" AND function = @function");
            command.With("function", query.Function);
        }

        if (query.AfterId is { } afterId)
        {
            sql.Append(" AND id > @afterId"); // a row's id is its last line's: earlier lines of it are dropped below
            command.With("afterId", afterId);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND logged_at >= @since");
            command.With("since", since.ToUnixMilliseconds());
        }

        if (!string.IsNullOrEmpty(query.Contains))
        {
            // Case-insensitive for ASCII letters; the wildcards are escaped so the needle is matched literally.
            sql.Append($@" AND message {_dialect.CaseInsensitiveLike} @contains ESCAPE '\'");
            command.With("contains", "%" + EscapeLike(query.Contains) + "%");
        }

        // Each row holds at least one line, so `limit` rows give at least `limit` lines unless the end was reached.
        var limit = ClampLimit(query.Limit);
        sql.Append(" ORDER BY id LIMIT @limit;");
        command.With("limit", limit);
        command.CommandText = sql.ToString();
        var rows = await ReadAllAsync(command, ReadLogLines, cancellationToken);
        var lines = new List<LogEntry>(rows.Count);
        foreach (var row in rows)
        {
            foreach (var line in row)
            {
                if (lines.Count == limit)
                {
                    return lines; // the rest of a row comes next, after this line's id
                }

                // A row's earlier lines may be at or before the cursor; the lines of a row that holds several are
                // matched one by one, as if each were stored on its own.
                if ((query.AfterId is not { } after || line.Id > after)
                    && (row.Count == 1 || string.IsNullOrEmpty(query.Contains) || line.Message.Contains(query.Contains, StringComparison.OrdinalIgnoreCase)))
                {
                    lines.Add(line);
                }
            }
        }

        return lines;
    }

    public async Task RecordInvocationsAsync(IReadOnlyList<InvocationRecord> invocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocations);
        if (invocations.Count == 0)
        {
            return;
        }

        invocations = StoredText.WithoutNulCharacters(invocations, static i => i.Error, static (i, error) => i with { Error = error });
        await using var connection = await OpenForTelemetryAsync(cancellationToken);
        await _dialect.InsertBatchAsync(connection, "invocations", InvocationBatchColumns, invocations, cancellationToken);
    }

    public async Task<IReadOnlyList<InvocationRecord>> QueryInvocationsAsync(
        long appStageId, string? function, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {InvocationColumns} FROM invocations " +
                "WHERE app_stage_id = @appStageId AND started_at >= @since AND (@function IS NULL OR function = @function) " +
                "ORDER BY started_at DESC, id DESC LIMIT @limit;")
            .With("appStageId", appStageId).With("since", since.ToUnixMilliseconds()).With("function", function)
            .With("limit", ClampLimit(limit));
        return await ReadAllAsync(command, ReadInvocation, cancellationToken);
    }

    public async Task<IReadOnlySet<string>> ListReferencedArtifactsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT artifact_sha256 FROM revisions UNION SELECT package_sha256 FROM template_versions;");
        var hashes = await ReadAllAsync(command, reader => reader.GetString(0), cancellationToken);
        return hashes.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Closes the pooled connections (for SQLite: so the database file is released).</summary>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _dialect.DisposeAsync();
    }

    private static readonly BatchColumn<StoredLogRow>[] LogBatchColumns =
    [
        BatchColumn.Of<StoredLogRow, long>("id", DbType.Int64, r => r.Id),
        BatchColumn.Of<StoredLogRow, long>("app_stage_id", DbType.Int64, r => r.Entry.AppStageId),
        BatchColumn.Of<StoredLogRow, long>("revision_id", DbType.Int64, r => r.Entry.RevisionId),
        BatchColumn.Of<StoredLogRow, string>("function", DbType.String, r => r.Entry.Function),
        BatchColumn.Of<StoredLogRow, string?>("request_id", DbType.String, r => r.Entry.RequestId),
        BatchColumn.Of<StoredLogRow, string>("instance_id", DbType.String, r => r.Entry.InstanceId),
        BatchColumn.Of<StoredLogRow, long>("logged_at", DbType.Int64, r => r.Entry.Time.ToUnixMilliseconds()),
        BatchColumn.Of<StoredLogRow, string>("stream", DbType.String, r => r.Entry.Stream.ToString()),
        BatchColumn.Of<StoredLogRow, string>("message", DbType.String, r => r.Entry.Message),
        BatchColumn.Of<StoredLogRow, int>("line_count", DbType.Int32, r => r.Entry.LineCount),
    ];

    /// <summary>The columns of <see cref="StoreRows.InvocationColumns"/>, in its order.</summary>
    private static readonly BatchColumn<InvocationRecord>[] InvocationBatchColumns =
    [
        BatchColumn.Of<InvocationRecord, string>("request_id", DbType.String, i => i.RequestId),
        BatchColumn.Of<InvocationRecord, string>("tenant", DbType.String, i => i.Tenant),
        BatchColumn.Of<InvocationRecord, long>("app_stage_id", DbType.Int64, i => i.AppStageId),
        BatchColumn.Of<InvocationRecord, long>("revision_id", DbType.Int64, i => i.RevisionId),
        BatchColumn.Of<InvocationRecord, string>("function", DbType.String, i => i.Function),
        BatchColumn.Of<InvocationRecord, long>("started_at", DbType.Int64, i => i.Start.ToUnixMilliseconds()),
        BatchColumn.Of<InvocationRecord, double>("duration_ms", DbType.Double, i => i.DurationMs),
        BatchColumn.Of<InvocationRecord, long>("billed_duration_ms", DbType.Int64, i => i.BilledDurationMs),
        BatchColumn.Of<InvocationRecord, int>("memory_size_mb", DbType.Int32, i => i.MemorySizeMb),
        BatchColumn.Of<InvocationRecord, int?>("max_memory_used_mb", DbType.Int32, i => i.MaxMemoryUsedMb),
        BatchColumn.Of<InvocationRecord, string>("status", DbType.String, i => i.Status.ToString()),
        BatchColumn.Of<InvocationRecord, bool>("cold_start", DbType.Boolean, i => i.ColdStart),
        BatchColumn.Of<InvocationRecord, string?>("error", DbType.String, i => i.Error),
    ];

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => _dialect.OpenAsync(durableCommits: true, cancellationToken);

    /// <summary>A connection for telemetry (log lines, invocation records), written in batches many times a second.</summary>
    private Task<DbConnection> OpenForTelemetryAsync(CancellationToken cancellationToken) => _dialect.OpenAsync(durableCommits: false, cancellationToken);

    private long Now() => _timeProvider.GetUtcNow().ToUnixMilliseconds();
}
