using Microsoft.Data.Sqlite;

namespace Ferry.Triggers.Async;

/// <summary>
/// <see cref="IAsyncEventQueue"/> on SQLite: two tables in the server's SQLite file (WAL mode), created on first use.
/// Taking is one UPDATE statement, and SQLite runs one writer at a time, so concurrent takers never share an event.
/// Leases name the queue object that took them (<see cref="OwnerId"/>, new for every server start). The SQLite file
/// belongs to one server process, so at start-up every lease of another owner is from a server that died.
/// </summary>
public sealed class AsyncEventQueue : IAsyncEventQueue
{
    private const int BusyTimeoutMilliseconds = 30_000;

    private const string EventColumns =
        "id, request_id, tenant, app_stage_id, service, stage, region, function, payload, enqueued_at, due_at, attempts, last_error, lease_token";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS async_events (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id   TEXT    NOT NULL UNIQUE,
            tenant       TEXT    NOT NULL,
            app_stage_id INTEGER NOT NULL,
            service      TEXT    NOT NULL,
            stage        TEXT    NOT NULL,
            region       TEXT    NOT NULL,
            function     TEXT    NOT NULL,
            payload      BLOB    NOT NULL,
            enqueued_at  INTEGER NOT NULL,
            due_at       INTEGER NOT NULL,
            attempts     INTEGER NOT NULL DEFAULT 0,
            last_error   TEXT,
            lease_until  INTEGER,
            lease_token  TEXT
        );
        CREATE INDEX IF NOT EXISTS async_events_due ON async_events (due_at);
        CREATE TABLE IF NOT EXISTS async_dead_letters (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id   TEXT    NOT NULL,
            tenant       TEXT    NOT NULL,
            app_stage_id INTEGER NOT NULL,
            service      TEXT    NOT NULL,
            stage        TEXT    NOT NULL,
            region       TEXT    NOT NULL,
            function     TEXT    NOT NULL,
            payload      BLOB    NOT NULL,
            error        TEXT    NOT NULL,
            attempts     INTEGER NOT NULL,
            enqueued_at  INTEGER NOT NULL,
            failed_at    INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS async_dead_letters_app_stage ON async_dead_letters (app_stage_id, id);
        """;

    /// <summary>Adds the lease owner to tables made before leases had one; runs when the column is missing.</summary>
    private const string AddLeaseOwner = "ALTER TABLE async_events ADD COLUMN lease_owner TEXT;";

    private readonly string _databasePath;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initializeGate = new(1, 1);
    private volatile bool _initialized;

    /// <param name="databasePath">The SQLite file (the server's <c>ferry.db</c>); created when missing.</param>
    public AsyncEventQueue(string databasePath, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _databasePath = Path.GetFullPath(databasePath);
        _time = time;
        Directory.CreateDirectory(Path.GetDirectoryName(_databasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
    }

    /// <summary>This queue object's (this server start's) name on the leases it takes.</summary>
    public string OwnerId { get; } = Guid.NewGuid().ToString("N");

    public async Task<int> ReleaseLeasesOfDeadOwnersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var release = Command(connection, """
            UPDATE async_events SET lease_until = NULL, lease_token = NULL, lease_owner = NULL
            WHERE lease_token IS NOT NULL AND (lease_owner IS NULL OR lease_owner <> @owner);
            """);
        release.Parameters.AddWithValue("@owner", OwnerId);
        return await release.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AsyncEvent> EnqueueAsync(string requestId, FunctionAddress target, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        var now = _time.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        await using var insert = Command(connection, """
            INSERT INTO async_events (request_id, tenant, app_stage_id, service, stage, region, function, payload, enqueued_at, due_at)
            VALUES (@request_id, @tenant, @app_stage_id, @service, @stage, @region, @function, @payload, @now, @now)
            RETURNING id;
            """);
        AddTarget(insert, target);
        insert.Parameters.AddWithValue("@request_id", requestId);
        insert.Parameters.AddWithValue("@payload", payload.ToArray());
        insert.Parameters.AddWithValue("@now", now.ToUnixTimeMilliseconds());
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        var stored = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        return new AsyncEvent(id, requestId, target, payload, stored, stored, 0, null, null);
    }

    public async Task<IReadOnlyList<AsyncEvent>> TakeDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken);
        // One statement: atomic, so two takers never get the same event.
        await using var take = Command(connection, $"""
            UPDATE async_events SET lease_until = @lease_until, lease_token = @token, lease_owner = @owner
            WHERE id IN (
                SELECT id FROM async_events
                WHERE due_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
                ORDER BY due_at, id
                LIMIT @limit)
            RETURNING {EventColumns};
            """);
        take.Parameters.AddWithValue("@now", now.ToUnixTimeMilliseconds());
        take.Parameters.AddWithValue("@lease_until", (now + lease).ToUnixTimeMilliseconds());
        take.Parameters.AddWithValue("@token", Guid.NewGuid().ToString("N"));
        take.Parameters.AddWithValue("@limit", limit);
        take.Parameters.AddWithValue("@owner", OwnerId);
        var taken = await ReadEventsAsync(take, cancellationToken);
        return [.. taken.OrderBy(e => e.DueAt).ThenBy(e => e.Id)];
    }

    public async Task<bool> CompleteAsync(AsyncEvent taken, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var delete = Command(connection, "DELETE FROM async_events WHERE id = @id AND lease_token = @token;");
        AddLease(delete, taken);
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> RetryLaterAsync(AsyncEvent taken, int attempts, DateTimeOffset dueAt, string error, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var update = Command(connection, """
            UPDATE async_events
            SET attempts = @attempts, due_at = @due_at, last_error = @error, lease_until = NULL, lease_token = NULL
            WHERE id = @id AND lease_token = @token;
            """);
        AddLease(update, taken);
        update.Parameters.AddWithValue("@attempts", attempts);
        update.Parameters.AddWithValue("@due_at", dueAt.ToUnixTimeMilliseconds());
        update.Parameters.AddWithValue("@error", error);
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> ReleaseAsync(AsyncEvent taken, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var update = Command(connection,
            "UPDATE async_events SET lease_until = NULL, lease_token = NULL WHERE id = @id AND lease_token = @token;");
        AddLease(update, taken);
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeadLetterAsync(AsyncEvent taken, int attempts, string error, DateTimeOffset failedAt, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = Command(connection, "DELETE FROM async_events WHERE id = @id AND lease_token = @token;", transaction))
        {
            AddLease(delete, taken);
            if (await delete.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return false;
            }
        }

        await using (var insert = Command(connection, """
            INSERT INTO async_dead_letters (request_id, tenant, app_stage_id, service, stage, region, function, payload, error, attempts, enqueued_at, failed_at)
            VALUES (@request_id, @tenant, @app_stage_id, @service, @stage, @region, @function, @payload, @error, @attempts, @enqueued_at, @failed_at);
            """, transaction))
        {
            AddTarget(insert, taken.Target);
            insert.Parameters.AddWithValue("@request_id", taken.RequestId);
            insert.Parameters.AddWithValue("@payload", taken.Payload.ToArray());
            insert.Parameters.AddWithValue("@error", error);
            insert.Parameters.AddWithValue("@attempts", attempts);
            insert.Parameters.AddWithValue("@enqueued_at", taken.EnqueuedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("@failed_at", failedAt.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<AsyncEvent?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var select = Command(connection, $"SELECT {EventColumns} FROM async_events WHERE request_id = @request_id;");
        select.Parameters.AddWithValue("@request_id", requestId);
        return (await ReadEventsAsync(select, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(long appStageId, string? function, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var select = Command(connection, """
            SELECT id, request_id, tenant, app_stage_id, service, stage, region, function, payload, error, attempts, enqueued_at, failed_at
            FROM async_dead_letters
            WHERE app_stage_id = @app_stage_id AND (@function IS NULL OR function = @function)
            ORDER BY id DESC
            LIMIT @limit;
            """);
        select.Parameters.AddWithValue("@app_stage_id", appStageId);
        select.Parameters.AddWithValue("@function", (object?)function ?? DBNull.Value);
        select.Parameters.AddWithValue("@limit", Math.Clamp(limit, 1, 10_000));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var letters = new List<DeadLetter>();
        while (await reader.ReadAsync(cancellationToken))
        {
            letters.Add(new DeadLetter(
                reader.GetInt64(0), reader.GetString(1), ReadTarget(reader, 2), (byte[])reader.GetValue(8), reader.GetString(9),
                reader.GetInt32(10), Time(reader, 11), Time(reader, 12)));
        }

        return letters;
    }

    public ValueTask DisposeAsync()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        _initializeGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using (var busyTimeout = Command(connection, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};"))
            {
                await busyTimeout.ExecuteNonQueryAsync(cancellationToken);
            }

            if (!_initialized)
            {
                await InitializeAsync(connection, cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await _initializeGate.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            await using (var wal = Command(connection, "PRAGMA journal_mode = WAL;"))
            {
                var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"The database '{_databasePath}' could not be switched to WAL journal mode (it reports '{mode}').");
                }
            }

            await using (var create = Command(connection, Schema))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var columns = Command(connection, "SELECT COUNT(*) FROM pragma_table_info('async_events') WHERE name = 'lease_owner';"))
            {
                if (Convert.ToInt32(await columns.ExecuteScalarAsync(cancellationToken)) == 0)
                {
                    await using var add = Command(connection, AddLeaseOwner);
                    try
                    {
                        await add.ExecuteNonQueryAsync(cancellationToken);
                    }
                    catch (SqliteException ex) when (ex.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
                    {
                        // Another queue object on the same file added it first.
                    }
                }
            }

            _initialized = true;
        }
        finally
        {
            _initializeGate.Release();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void AddTarget(SqliteCommand command, FunctionAddress target)
    {
        command.Parameters.AddWithValue("@tenant", target.Tenant);
        command.Parameters.AddWithValue("@app_stage_id", target.AppStageId);
        command.Parameters.AddWithValue("@service", target.Service);
        command.Parameters.AddWithValue("@stage", target.Stage);
        command.Parameters.AddWithValue("@region", target.Region);
        command.Parameters.AddWithValue("@function", target.Function);
    }

    private static void AddLease(SqliteCommand command, AsyncEvent taken)
    {
        if (taken.LeaseToken is null)
        {
            throw new InvalidOperationException($"Event {taken.RequestId} was not taken from the queue; only taken events can be completed, retried or released.");
        }

        command.Parameters.AddWithValue("@id", taken.Id);
        command.Parameters.AddWithValue("@token", taken.LeaseToken);
    }

    private static async Task<List<AsyncEvent>> ReadEventsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<AsyncEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new AsyncEvent(
                reader.GetInt64(0), reader.GetString(1), ReadTarget(reader, 2), (byte[])reader.GetValue(8),
                Time(reader, 9), Time(reader, 10), reader.GetInt32(11),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return events;
    }

    /// <summary>tenant, app_stage_id, service, stage, region, function from <paramref name="first"/> on.</summary>
    private static FunctionAddress ReadTarget(SqliteDataReader reader, int first) => new(
        reader.GetString(first), reader.GetInt64(first + 1), reader.GetString(first + 2), reader.GetString(first + 3),
        reader.GetString(first + 4), reader.GetString(first + 5));

    private static DateTimeOffset Time(SqliteDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}
