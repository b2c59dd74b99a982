using System.Text;
using Microsoft.Data.Sqlite;
using static Ferry.Store.StoreRows;

namespace Ferry.Store;

/// <summary>
/// <see cref="IFerryStore"/> on a single SQLite file (Microsoft.Data.Sqlite, no ORM). Every operation opens its own
/// pooled connection, so the store is safe to call concurrently; the database runs in WAL mode (readers never wait
/// for the writer), with foreign keys enforced and a busy timeout so concurrent writers queue instead of failing.
/// Times are stored as UTC unix milliseconds; sub-millisecond precision is dropped.
/// Call <see cref="InitializeAsync"/> once before anything else.
/// </summary>
public sealed partial class SqliteFerryStore : IControlPlaneStore
{
    private const int BusyTimeoutMilliseconds = 30_000;

    private readonly string _databasePath;
    private readonly string _connectionString;
    private readonly TimeProvider _timeProvider;
    private readonly StoredSecrets _secrets;

    public SqliteFerryStore(string databasePath)
        : this(databasePath, TimeProvider.System)
    {
    }

    /// <param name="databasePath">The database file; it and its folder are created when missing.</param>
    /// <param name="timeProvider">Clock for created/updated timestamps.</param>
    public SqliteFerryStore(string databasePath, TimeProvider timeProvider)
        : this(databasePath, timeProvider, secrets: null)
    {
    }

    /// <param name="databasePath">The database file; it and its folder are created when missing (owner-only, 0600).</param>
    /// <param name="timeProvider">Clock for created/updated timestamps.</param>
    /// <param name="secrets">Encrypts access-key secrets and template parameter values; null keeps them plain (tests only).</param>
    public SqliteFerryStore(string databasePath, TimeProvider timeProvider, IStoredSecretProtector? secrets)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _databasePath = Path.GetFullPath(databasePath);
        _timeProvider = timeProvider;
        _secrets = new StoredSecrets(secrets);
        Directory.CreateDirectory(Path.GetDirectoryName(_databasePath)!);
        PrivateFiles.CreateOwnerOnly(_databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await SqliteSchema.MigrateAsync(connection, _databasePath, cancellationToken);
        await EncryptPlainSecretsAsync(connection, cancellationToken);
    }

    public async Task<AppStage?> FindAppStageAsync(
        string tenant, string service, string stage, string region, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {AppStageColumns} FROM app_stages " +
                "WHERE tenant = $tenant AND service = $service AND stage = $stage AND region = $region;")
            .With("$tenant", tenant).With("$service", service).With("$stage", stage).With("$region", region);
        return await ReadSingleAsync(command, ReadAppStage, cancellationToken);
    }

    public async Task<AppStage?> GetAppStageAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {AppStageColumns} FROM app_stages WHERE id = $id;")
            .With("$id", appStageId);
        return await ReadSingleAsync(command, ReadAppStage, cancellationToken);
    }

    public async Task<IReadOnlyList<AppStage>> ListAppStagesAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {AppStageColumns} FROM app_stages WHERE $tenant IS NULL OR tenant = $tenant " +
                "ORDER BY service, stage, region, tenant;")
            .With("$tenant", tenant);
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
        // deferred: false issues BEGIN IMMEDIATE: the write lock is taken up front, so two concurrent deploys of
        // one app stage serialize here instead of both reading the same highest revision number.
        await using var transaction = connection.BeginTransaction(deferred: false);

        await using (var ensure = connection.Command(
                         "INSERT INTO app_stages (tenant, service, stage, region, created_at, updated_at) " +
                         "VALUES ($tenant, $service, $stage, $region, $now, $now) " +
                         "ON CONFLICT (tenant, service, stage, region) DO NOTHING;", transaction)
                     .With("$tenant", tenant).With("$service", service).With("$stage", stage).With("$region", region)
                     .With("$now", now))
        {
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        long appStageId;
        await using (var find = connection.Command(
                         "SELECT id FROM app_stages WHERE tenant = $tenant AND service = $service AND stage = $stage AND region = $region;",
                         transaction)
                     .With("$tenant", tenant).With("$service", service).With("$stage", stage).With("$region", region))
        {
            appStageId = (long)(await find.ExecuteScalarAsync(cancellationToken))!;
        }

        Revision revision;
        await using (var insert = connection.Command(
                         "INSERT INTO revisions (app_stage_id, number, artifact_sha256, manifest_json, created_at) " +
                         "VALUES ($appStageId, (SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE app_stage_id = $appStageId), " +
                         $"$artifact, $manifest, $now) RETURNING {RevisionColumns};", transaction)
                     .With("$appStageId", appStageId).With("$artifact", artifactSha256).With("$manifest", manifestJson)
                     .With("$now", now))
        {
            revision = (await ReadSingleAsync(insert, ReadRevision, cancellationToken))!;
        }

        AppStage appStage;
        await using (var update = connection.Command(
                         "UPDATE app_stages SET active_revision_id = CASE WHEN $activate THEN $revisionId ELSE active_revision_id END, " +
                         $"updated_at = $now WHERE id = $appStageId RETURNING {AppStageColumns};", transaction)
                     .With("$revisionId", revision.Id).With("$now", now).With("$appStageId", appStageId).With("$activate", activate))
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
                "UPDATE app_stages SET active_revision_id = $revisionId, updated_at = $now " +
                "WHERE id = $appStageId AND EXISTS (SELECT 1 FROM revisions WHERE id = $revisionId AND app_stage_id = $appStageId);")
            .With("$revisionId", revisionId).With("$appStageId", appStageId).With("$now", Now());
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return;
        }

        await using var exists = connection.Command("SELECT COUNT(*) FROM app_stages WHERE id = $id;").With("$id", appStageId);
        throw (long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0
            ? new KeyNotFoundException($"App stage {appStageId} does not exist.")
            : new KeyNotFoundException($"Revision {revisionId} does not exist or is not a revision of app stage {appStageId}.");
    }

    public async Task<Revision?> GetRevisionAsync(long revisionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {RevisionColumns} FROM revisions WHERE id = $id;")
            .With("$id", revisionId);
        return await ReadSingleAsync(command, ReadRevision, cancellationToken);
    }

    public async Task<IReadOnlyList<Revision>> ListRevisionsAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {RevisionColumns} FROM revisions WHERE app_stage_id = $appStageId ORDER BY number DESC;")
            .With("$appStageId", appStageId);
        return await ReadAllAsync(command, ReadRevision, cancellationToken);
    }

    public async Task<bool> DeleteAppStageAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // Immediate: no invocation of the app stage can be recorded between keeping its usage and deleting it.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var keepUsage = connection.Command(RemovedAppUsage.CopySql("$id"), transaction).With("$id", appStageId))
        {
            await keepUsage.ExecuteNonQueryAsync(cancellationToken);
        }

        // Foreign keys cascade to revisions, logs and invocations.
        await using var delete = connection.Command("DELETE FROM app_stages WHERE id = $id;", transaction).With("$id", appStageId);
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken) > 0;
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<IReadOnlyList<LogEntry>> AppendLogsAsync(IReadOnlyList<NewLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return [];
        }

        await using var connection = await OpenForTelemetryAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var insert = connection.Command(
            "INSERT INTO logs (app_stage_id, revision_id, function, request_id, instance_id, logged_at, stream, message) " +
            "VALUES ($appStageId, $revisionId, $function, $requestId, $instanceId, $loggedAt, $stream, $message) RETURNING id;",
            transaction);
        var appStageId = insert.Parameters.Add("$appStageId", SqliteType.Integer);
        var revisionId = insert.Parameters.Add("$revisionId", SqliteType.Integer);
        var function = insert.Parameters.Add("$function", SqliteType.Text);
        var requestId = insert.Parameters.Add("$requestId", SqliteType.Text);
        var instanceId = insert.Parameters.Add("$instanceId", SqliteType.Text);
        var loggedAt = insert.Parameters.Add("$loggedAt", SqliteType.Integer);
        var stream = insert.Parameters.Add("$stream", SqliteType.Text);
        var message = insert.Parameters.Add("$message", SqliteType.Text);

        var stored = new List<LogEntry>(entries.Count);
        foreach (var entry in entries)
        {
            appStageId.Value = entry.AppStageId;
            revisionId.Value = entry.RevisionId;
            function.Value = entry.Function;
            requestId.Value = (object?)entry.RequestId ?? DBNull.Value;
            instanceId.Value = entry.InstanceId;
            loggedAt.Value = entry.Time.ToUnixMilliseconds();
            stream.Value = entry.Stream.ToString();
            message.Value = entry.Message;
            var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
            stored.Add(new LogEntry(
                id, entry.AppStageId, entry.RevisionId, entry.Function, entry.RequestId, entry.InstanceId,
                DateTimeOffset.FromUnixTimeMilliseconds(entry.Time.ToUnixMilliseconds()), entry.Stream, entry.Message));
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<LogEntry>> QueryLogsAsync(LogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder($"SELECT {LogColumns} FROM logs WHERE app_stage_id = $appStageId");
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.With("$appStageId", query.AppStageId);
        if (query.Function is not null)
        {
            sql.Append(" AND function = $function");
            command.With("$function", query.Function);
        }

        if (query.AfterId is { } afterId)
        {
            sql.Append(" AND id > $afterId");
            command.With("$afterId", afterId);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND logged_at >= $since");
            command.With("$since", since.ToUnixMilliseconds());
        }

        if (!string.IsNullOrEmpty(query.Contains))
        {
            // LIKE is case-insensitive for ASCII letters; escape its wildcards so the needle is matched literally.
            sql.Append(@" AND message LIKE $contains ESCAPE '\'");
            command.With("$contains", "%" + EscapeLike(query.Contains) + "%");
        }

        sql.Append(" ORDER BY id LIMIT $limit;");
        command.With("$limit", ClampLimit(query.Limit));
        command.CommandText = sql.ToString();
        return await ReadAllAsync(command, ReadLogEntry, cancellationToken);
    }

    public async Task RecordInvocationsAsync(IReadOnlyList<InvocationRecord> invocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocations);
        if (invocations.Count == 0)
        {
            return;
        }

        await using var connection = await OpenForTelemetryAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var insert = connection.Command(
            $"INSERT INTO invocations ({InvocationColumns}) VALUES ($requestId, $tenant, $appStageId, $revisionId, $function, " +
            "$startedAt, $durationMs, $billedDurationMs, $memorySizeMb, $maxMemoryUsedMb, $status, $coldStart, $error);",
            transaction);
        var requestId = insert.Parameters.Add("$requestId", SqliteType.Text);
        var tenant = insert.Parameters.Add("$tenant", SqliteType.Text);
        var appStageId = insert.Parameters.Add("$appStageId", SqliteType.Integer);
        var revisionId = insert.Parameters.Add("$revisionId", SqliteType.Integer);
        var function = insert.Parameters.Add("$function", SqliteType.Text);
        var startedAt = insert.Parameters.Add("$startedAt", SqliteType.Integer);
        var durationMs = insert.Parameters.Add("$durationMs", SqliteType.Real);
        var billedDurationMs = insert.Parameters.Add("$billedDurationMs", SqliteType.Integer);
        var memorySizeMb = insert.Parameters.Add("$memorySizeMb", SqliteType.Integer);
        var maxMemoryUsedMb = insert.Parameters.Add("$maxMemoryUsedMb", SqliteType.Integer);
        var status = insert.Parameters.Add("$status", SqliteType.Text);
        var coldStart = insert.Parameters.Add("$coldStart", SqliteType.Integer);
        var error = insert.Parameters.Add("$error", SqliteType.Text);

        foreach (var invocation in invocations)
        {
            requestId.Value = invocation.RequestId;
            tenant.Value = invocation.Tenant;
            appStageId.Value = invocation.AppStageId;
            revisionId.Value = invocation.RevisionId;
            function.Value = invocation.Function;
            startedAt.Value = invocation.Start.ToUnixMilliseconds();
            durationMs.Value = invocation.DurationMs;
            billedDurationMs.Value = invocation.BilledDurationMs;
            memorySizeMb.Value = invocation.MemorySizeMb;
            maxMemoryUsedMb.Value = (object?)invocation.MaxMemoryUsedMb ?? DBNull.Value;
            status.Value = invocation.Status.ToString();
            coldStart.Value = invocation.ColdStart;
            error.Value = (object?)invocation.Error ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<InvocationRecord>> QueryInvocationsAsync(
        long appStageId, string? function, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {InvocationColumns} FROM invocations " +
                "WHERE app_stage_id = $appStageId AND started_at >= $since AND ($function IS NULL OR function = $function) " +
                "ORDER BY started_at DESC, id DESC LIMIT $limit;")
            .With("$appStageId", appStageId).With("$since", since.ToUnixMilliseconds()).With("$function", function)
            .With("$limit", ClampLimit(limit));
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

    /// <summary>Closes the pooled connections so the database file is released.</summary>
    public ValueTask DisposeAsync()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => OpenAsync(durableCommits: true, cancellationToken);

    /// <summary>
    /// A connection for telemetry (log lines, invocation records), written in batches many times a second:
    /// <c>synchronous = NORMAL</c>, so in WAL mode its commits do not wait for fsync (the WAL is synced at checkpoints,
    /// and by the next durable commit). The database stays consistent after a crash or a power loss; a power loss
    /// (not a crash of the process) may undo the last batches committed before it.
    /// </summary>
    private Task<SqliteConnection> OpenForTelemetryAsync(CancellationToken cancellationToken) => OpenAsync(durableCommits: false, cancellationToken);

    /// <param name="durableCommits">
    /// <c>synchronous = FULL</c> (commits wait for fsync: deploys, keys, settings) or <c>NORMAL</c> (see
    /// <see cref="OpenForTelemetryAsync"/>). Set on every open: the setting belongs to the pooled connection.
    /// </param>
    private async Task<SqliteConnection> OpenAsync(bool durableCommits, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = connection.Command(
                $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = {(durableCommits ? "FULL" : "NORMAL")};");
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixMilliseconds();
}
