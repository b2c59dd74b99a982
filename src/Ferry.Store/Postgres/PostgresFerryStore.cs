using System.Net.Sockets;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using static Ferry.Store.StoreRows;

namespace Ferry.Store.Postgres;

/// <summary>
/// <see cref="IFerryStore"/> on a PostgreSQL database (Npgsql, no ORM): the same tables, results and guarantees as
/// <see cref="SqliteFerryStore"/>, so several servers can share one control plane. One <see cref="NpgsqlDataSource"/>
/// pools the connections and is disposed with the store. Times are stored as UTC unix milliseconds, as in SQLite.
/// Call <see cref="InitializeAsync"/> once before anything else.
/// </summary>
public sealed partial class PostgresFerryStore : IControlPlaneStore
{
    private readonly PostgresAddress _address;
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;
    private readonly StoredSecrets _secrets;

    public PostgresFerryStore(PostgresAddress address)
        : this(address, TimeProvider.System)
    {
    }

    /// <param name="address">The database; it must exist (Ferry creates its tables, not the database).</param>
    /// <param name="timeProvider">Clock for created/updated timestamps.</param>
    public PostgresFerryStore(PostgresAddress address, TimeProvider timeProvider)
        : this(address, timeProvider, secrets: null)
    {
    }

    /// <param name="address">The database; it must exist (Ferry creates its tables, not the database).</param>
    /// <param name="timeProvider">Clock for created/updated timestamps.</param>
    /// <param name="secrets">Encrypts access-key secrets and template parameter values; null keeps them plain (tests only).</param>
    public PostgresFerryStore(PostgresAddress address, TimeProvider timeProvider, IStoredSecretProtector? secrets)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _address = address;
        _timeProvider = timeProvider;
        _secrets = new StoredSecrets(secrets);
        _dataSource = NpgsqlDataSource.Create(address.ConnectionString);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await PostgresSchema.MigrateAsync(connection, _address, cancellationToken);
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
            .WithText("tenant", tenant);
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
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var ensure = connection.Command(
                         "INSERT INTO app_stages (tenant, service, stage, region, created_at, updated_at) " +
                         "VALUES (@tenant, @service, @stage, @region, @now, @now) " +
                         "ON CONFLICT (tenant, service, stage, region) DO NOTHING;", transaction)
                     .With("tenant", tenant).With("service", service).With("stage", stage).With("region", region).With("now", now))
        {
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        // The row lock serializes concurrent deploys of one app stage, so each reads the highest revision number only
        // after the previous deploy committed its revision.
        long appStageId;
        await using (var find = connection.Command(
                         "SELECT id FROM app_stages WHERE tenant = @tenant AND service = @service AND stage = @stage AND region = @region FOR UPDATE;",
                         transaction)
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
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Locking the row first: an invocation recorded concurrently waits on it (foreign key) and then fails, rather
        // than slipping in between keeping the usage and the delete. The active revision is cleared first because the
        // cascade to revisions would otherwise set it on the very row being deleted.
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

        await using var connection = await OpenAsync(cancellationToken);
        // One statement for the whole batch. Identity values are drawn in the order the SELECT produces its rows (the
        // batch's order), so the returned ids, sorted, belong to the entries in order.
        await using var insert = connection.Command(
            "INSERT INTO logs (app_stage_id, revision_id, function, request_id, instance_id, logged_at, stream, message) " +
            "SELECT a, r, f, q, i, t, s, m FROM unnest(@appStageId, @revisionId, @function, @requestId, @instanceId, @loggedAt, @stream, @message) " +
            "WITH ORDINALITY AS batch (a, r, f, q, i, t, s, m, position) ORDER BY position RETURNING id;");
        insert.Parameters.Add(Column("appStageId", NpgsqlDbType.Bigint, entries, e => e.AppStageId));
        insert.Parameters.Add(Column("revisionId", NpgsqlDbType.Bigint, entries, e => e.RevisionId));
        insert.Parameters.Add(Column("function", NpgsqlDbType.Text, entries, e => e.Function));
        insert.Parameters.Add(Column("requestId", NpgsqlDbType.Text, entries, e => e.RequestId));
        insert.Parameters.Add(Column("instanceId", NpgsqlDbType.Text, entries, e => e.InstanceId));
        insert.Parameters.Add(Column("loggedAt", NpgsqlDbType.Bigint, entries, e => e.Time.ToUnixMilliseconds()));
        insert.Parameters.Add(Column("stream", NpgsqlDbType.Text, entries, e => e.Stream.ToString()));
        insert.Parameters.Add(Column("message", NpgsqlDbType.Text, entries, e => e.Message));
        var ids = await ReadAllAsync(insert, reader => reader.GetInt64(0), cancellationToken);
        ids.Sort();
        return [.. entries.Select((entry, index) => new LogEntry(
            ids[index], entry.AppStageId, entry.RevisionId, entry.Function, entry.RequestId, entry.InstanceId,
            DateTimeOffset.FromUnixTimeMilliseconds(entry.Time.ToUnixMilliseconds()), entry.Stream, entry.Message))];
    }

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
            sql.Append(" AND id > @afterId");
            command.With("afterId", afterId);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND logged_at >= @since");
            command.With("since", since.ToUnixMilliseconds());
        }

        if (!string.IsNullOrEmpty(query.Contains))
        {
            // ILIKE under the "C" collation folds ASCII letters only, like SQLite's LIKE; wildcards are escaped.
            sql.Append(@" AND message ILIKE @contains ESCAPE '\'");
            command.With("contains", "%" + EscapeLike(query.Contains) + "%");
        }

        sql.Append(" ORDER BY id LIMIT @limit;");
        command.With("limit", ClampLimit(query.Limit));
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

        await using var connection = await OpenAsync(cancellationToken);
        // One statement (so one transaction) for the whole batch: arrays unnested into rows.
        await using var insert = connection.Command(
            $"INSERT INTO invocations ({InvocationColumns}) " +
            "SELECT * FROM unnest(@requestId, @tenant, @appStageId, @revisionId, @function, @startedAt, @durationMs, " +
            "@billedDurationMs, @memorySizeMb, @maxMemoryUsedMb, @status, @coldStart, @error);");
        insert.Parameters.Add(Column("requestId", NpgsqlDbType.Text, invocations, i => i.RequestId));
        insert.Parameters.Add(Column("tenant", NpgsqlDbType.Text, invocations, i => i.Tenant));
        insert.Parameters.Add(Column("appStageId", NpgsqlDbType.Bigint, invocations, i => i.AppStageId));
        insert.Parameters.Add(Column("revisionId", NpgsqlDbType.Bigint, invocations, i => i.RevisionId));
        insert.Parameters.Add(Column("function", NpgsqlDbType.Text, invocations, i => i.Function));
        insert.Parameters.Add(Column("startedAt", NpgsqlDbType.Bigint, invocations, i => i.Start.ToUnixMilliseconds()));
        insert.Parameters.Add(Column("durationMs", NpgsqlDbType.Double, invocations, i => i.DurationMs));
        insert.Parameters.Add(Column("billedDurationMs", NpgsqlDbType.Bigint, invocations, i => i.BilledDurationMs));
        insert.Parameters.Add(Column("memorySizeMb", NpgsqlDbType.Integer, invocations, i => i.MemorySizeMb));
        insert.Parameters.Add(Column("maxMemoryUsedMb", NpgsqlDbType.Integer, invocations, i => i.MaxMemoryUsedMb));
        insert.Parameters.Add(Column("status", NpgsqlDbType.Text, invocations, i => i.Status.ToString()));
        insert.Parameters.Add(Column("coldStart", NpgsqlDbType.Boolean, invocations, i => i.ColdStart));
        insert.Parameters.Add(Column("error", NpgsqlDbType.Text, invocations, i => i.Error));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<InvocationRecord>> QueryInvocationsAsync(
        long appStageId, string? function, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                $"SELECT {InvocationColumns} FROM invocations " +
                "WHERE app_stage_id = @appStageId AND started_at >= @since AND (@function IS NULL OR function = @function) " +
                "ORDER BY started_at DESC, id DESC LIMIT @limit;")
            .With("appStageId", appStageId).With("since", since.ToUnixMilliseconds()).WithText("function", function)
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

    /// <summary>Closes the pooled connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>A pooled connection; an unreachable server (or a refused login) is a <see cref="StoreUnavailableException"/>.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new StoreUnavailableException($"cannot connect to the store at {_address.Endpoint}: {reason}", ex);
        }
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixMilliseconds();

    /// <summary>One column of a batch, as an array parameter for <c>unnest</c>.</summary>
    private static NpgsqlParameter Column<TRow, T>(string name, NpgsqlDbType type, IReadOnlyList<TRow> rows, Func<TRow, T> value) =>
        new(name, NpgsqlDbType.Array | type) { Value = rows.Select(value).ToArray() };
}
