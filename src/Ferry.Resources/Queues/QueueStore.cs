using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Ferry.Resources.Queues;

/// <summary>
/// Queues and their messages in a SQLite file (WAL mode), so messages survive a server restart. Every change that
/// looks before it writes (receive, send with deduplication) runs in an IMMEDIATE transaction: SQLite has one writer
/// at a time, so two receivers never get the same message. Messages are invisible while delayed or in flight; a
/// message received more than its queue's <see cref="QueueSettings.MaxReceiveCount"/> times moves to the dead-letter
/// queue instead of being handed out again; messages older than the retention period are dropped.
/// </summary>
public sealed class QueueStore : IAsyncDisposable
{
    private const int BusyTimeoutMilliseconds = 30_000;

    /// <summary>How long a FIFO queue remembers a deduplication id, as on SQS.</summary>
    public static readonly TimeSpan DeduplicationInterval = TimeSpan.FromMinutes(5);

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS sqs_queues (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant      TEXT    NOT NULL,
            name        TEXT    NOT NULL,
            app_stage   TEXT,
            settings    TEXT    NOT NULL,
            created_at  INTEGER NOT NULL,
            modified_at INTEGER NOT NULL,
            UNIQUE (tenant, name)
        );
        CREATE TABLE IF NOT EXISTS sqs_messages (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            queue_id         INTEGER NOT NULL,
            message_id       TEXT    NOT NULL,
            body             TEXT    NOT NULL,
            attributes       TEXT,
            sent_at          INTEGER NOT NULL,
            expires_at       INTEGER NOT NULL,
            visible_at       INTEGER NOT NULL,
            receive_count    INTEGER NOT NULL DEFAULT 0,
            first_receive_at INTEGER,
            receipt_token    TEXT,
            group_id         TEXT,
            dedup_id         TEXT
        );
        CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages (queue_id, visible_at, id);
        CREATE TABLE IF NOT EXISTS sqs_deduplication (
            queue_id   INTEGER NOT NULL,
            dedup_id   TEXT    NOT NULL,
            message_id TEXT    NOT NULL,
            sequence   TEXT,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (queue_id, dedup_id)
        );
        """;

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initializeGate = new(1, 1);
    private volatile bool _initialized;
    private TaskCompletionSource _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="databasePath">The SQLite file; created when missing.</param>
    public QueueStore(string databasePath, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var path = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
    }

    public TimeProvider Time => _time;

    /// <summary>
    /// Creates the queue, or updates the settings of the one of that name (deploys are idempotent). A queue of the
    /// same name owned by another app stage is refused with <see cref="InvalidOperationException"/>.
    /// </summary>
    public async Task<QueueInfo> EnsureAsync(QueueAddress address, string? appStage, QueueSettings settings, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var existing = await FindAsync(connection, transaction, address, cancellationToken);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (existing is not null && existing.AppStage != appStage)
        {
            throw new InvalidOperationException($"Queue '{address.Name}' belongs to {existing.AppStage ?? "the tenant (made with an access key)"}; queue names are unique per tenant");
        }

        await using (var upsert = Command(connection, transaction, """
            INSERT INTO sqs_queues (tenant, name, app_stage, settings, created_at, modified_at) VALUES (@tenant, @name, @app_stage, @settings, @now, @now)
            ON CONFLICT (tenant, name) DO UPDATE SET settings = excluded.settings, modified_at = excluded.modified_at
            WHERE sqs_queues.settings <> excluded.settings;
            """))
        {
            upsert.Parameters.AddWithValue("@tenant", address.Tenant);
            upsert.Parameters.AddWithValue("@name", address.Name);
            upsert.Parameters.AddWithValue("@app_stage", (object?)appStage ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@settings", JsonSerializer.Serialize(settings));
            upsert.Parameters.AddWithValue("@now", now);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        var queue = (await FindAsync(connection, transaction, address, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return queue;
    }

    /// <summary>CreateQueue: a new queue, or the existing one when its settings are the same; else null (QueueAlreadyExists).</summary>
    public async Task<(QueueInfo Queue, bool Created)?> CreateAsync(QueueAddress address, string? appStage, QueueSettings settings, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (await FindAsync(connection, transaction, address, cancellationToken) is { } existing)
        {
            return existing.Settings == settings ? (existing, false) : null;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var insert = Command(connection, transaction,
            "INSERT INTO sqs_queues (tenant, name, app_stage, settings, created_at, modified_at) VALUES (@tenant, @name, @app_stage, @settings, @now, @now);"))
        {
            insert.Parameters.AddWithValue("@tenant", address.Tenant);
            insert.Parameters.AddWithValue("@name", address.Name);
            insert.Parameters.AddWithValue("@app_stage", (object?)appStage ?? DBNull.Value);
            insert.Parameters.AddWithValue("@settings", JsonSerializer.Serialize(settings));
            insert.Parameters.AddWithValue("@now", now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var queue = (await FindAsync(connection, transaction, address, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return (queue, true);
    }

    public async Task<QueueInfo?> FindAsync(QueueAddress address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await FindAsync(connection, null, address, cancellationToken);
    }

    /// <summary>The tenant's queues whose name starts with <paramref name="prefix"/>, by name, after <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<QueueInfo>> ListAsync(string tenant, string prefix, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var select = Command(connection, null, """
            SELECT id, tenant, name, app_stage, settings, created_at, modified_at FROM sqs_queues
            WHERE tenant = @tenant AND substr(name, 1, length(@prefix)) = @prefix AND (@after IS NULL OR name > @after)
            ORDER BY name LIMIT @limit;
            """);
        select.Parameters.AddWithValue("@tenant", tenant);
        select.Parameters.AddWithValue("@prefix", prefix);
        select.Parameters.AddWithValue("@after", (object?)after ?? DBNull.Value);
        select.Parameters.AddWithValue("@limit", limit);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var queues = new List<QueueInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            queues.Add(ReadQueue(reader));
        }

        return queues;
    }

    public async Task SetSettingsAsync(QueueInfo queue, QueueSettings settings, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var update = Command(connection, null, "UPDATE sqs_queues SET settings = @settings, modified_at = @now WHERE id = @id;");
        update.Parameters.AddWithValue("@settings", JsonSerializer.Serialize(settings));
        update.Parameters.AddWithValue("@now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        update.Parameters.AddWithValue("@id", queue.Id);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes the queue and its messages; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(QueueAddress address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (await FindAsync(connection, transaction, address, cancellationToken) is not { } queue)
        {
            return false;
        }

        await using (var delete = Command(connection, transaction, """
            DELETE FROM sqs_messages WHERE queue_id = @id;
            DELETE FROM sqs_deduplication WHERE queue_id = @id;
            DELETE FROM sqs_queues WHERE id = @id;
            """))
        {
            delete.Parameters.AddWithValue("@id", queue.Id);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task PurgeAsync(QueueInfo queue, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var delete = Command(connection, null, "DELETE FROM sqs_messages WHERE queue_id = @id;");
        delete.Parameters.AddWithValue("@id", queue.Id);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores a message. A FIFO queue that saw its deduplication id in the last 5 minutes answers with the first message instead.</summary>
    public async Task<SentMessage> SendAsync(QueueInfo queue, OutgoingMessage message, CancellationToken cancellationToken)
    {
        var settings = queue.Settings;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var bodyDigest = MessageDigests.OfBody(message.Body);
        var attributesDigest = MessageDigests.OfAttributes(message.Attributes);
        var delay = settings.Fifo ? settings.DelaySeconds : message.DelaySeconds ?? settings.DelaySeconds;
        var deduplicationId = !settings.Fifo ? null
            : message.DeduplicationId ?? (settings.ContentBasedDeduplication ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(message.Body))) : null);
        var messageId = Guid.NewGuid().ToString();

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (deduplicationId is not null)
        {
            await using var seen = Command(connection, transaction, """
                DELETE FROM sqs_deduplication WHERE queue_id = @queue AND expires_at <= @now;
                SELECT message_id, sequence FROM sqs_deduplication WHERE queue_id = @queue AND dedup_id = @dedup;
                """);
            seen.Parameters.AddWithValue("@queue", queue.Id);
            seen.Parameters.AddWithValue("@now", now);
            seen.Parameters.AddWithValue("@dedup", deduplicationId);
            await using var reader = await seen.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new SentMessage(reader.GetString(0), bodyDigest, attributesDigest, reader.IsDBNull(1) ? null : reader.GetString(1));
            }
        }

        long rowId;
        await using (var insert = Command(connection, transaction, """
            INSERT INTO sqs_messages (queue_id, message_id, body, attributes, sent_at, expires_at, visible_at, group_id, dedup_id)
            VALUES (@queue, @message_id, @body, @attributes, @now, @expires_at, @visible_at, @group_id, @dedup)
            RETURNING id;
            """))
        {
            insert.Parameters.AddWithValue("@queue", queue.Id);
            insert.Parameters.AddWithValue("@message_id", messageId);
            insert.Parameters.AddWithValue("@body", message.Body);
            insert.Parameters.AddWithValue("@attributes", message.Attributes.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(message.Attributes));
            insert.Parameters.AddWithValue("@now", now);
            insert.Parameters.AddWithValue("@expires_at", now + settings.MessageRetentionSeconds * 1000L);
            insert.Parameters.AddWithValue("@visible_at", now + delay * 1000L);
            insert.Parameters.AddWithValue("@group_id", (object?)message.GroupId ?? DBNull.Value);
            insert.Parameters.AddWithValue("@dedup", (object?)deduplicationId ?? DBNull.Value);
            rowId = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }

        var sequence = settings.Fifo ? SequenceNumber(rowId) : null;
        if (deduplicationId is not null)
        {
            await using var remember = Command(connection, transaction,
                "INSERT INTO sqs_deduplication (queue_id, dedup_id, message_id, sequence, expires_at) VALUES (@queue, @dedup, @message_id, @sequence, @expires_at);");
            remember.Parameters.AddWithValue("@queue", queue.Id);
            remember.Parameters.AddWithValue("@dedup", deduplicationId);
            remember.Parameters.AddWithValue("@message_id", messageId);
            remember.Parameters.AddWithValue("@sequence", (object?)sequence ?? DBNull.Value);
            remember.Parameters.AddWithValue("@expires_at", now + (long)DeduplicationInterval.TotalMilliseconds);
            await remember.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        Interlocked.Exchange(ref _arrival, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return new SentMessage(messageId, bodyDigest, attributesDigest, sequence);
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> visible messages, oldest first, and hides them for
    /// <paramref name="visibilityTimeout"/>. Messages past their queue's receive limit move to its dead-letter queue; on a
    /// FIFO queue, a message group with a message in flight gives nothing until that message is deleted or reappears.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMessage>> ReceiveAsync(QueueInfo queue, int limit, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var settings = queue.Settings;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var expire = Command(connection, transaction, "DELETE FROM sqs_messages WHERE queue_id = @queue AND expires_at <= @now;"))
        {
            expire.Parameters.AddWithValue("@queue", queue.Id);
            expire.Parameters.AddWithValue("@now", now);
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        var deadLetters = settings.DeadLetterQueue is { } dlqName && settings.MaxReceiveCount > 0
            ? await FindAsync(connection, transaction, queue.Address with { Name = dlqName }, cancellationToken)
            : null;
        var candidates = new List<(long RowId, int ReceiveCount)>();
        await using (var select = Command(connection, transaction, $"""
            SELECT id, receive_count FROM sqs_messages
            WHERE queue_id = @queue AND visible_at <= @now
            {(settings.Fifo ? "AND coalesce(group_id, '') NOT IN (SELECT coalesce(group_id, '') FROM sqs_messages WHERE queue_id = @queue AND visible_at > @now AND receive_count > 0)" : "")}
            ORDER BY id LIMIT @limit;
            """))
        {
            select.Parameters.AddWithValue("@queue", queue.Id);
            select.Parameters.AddWithValue("@now", now);
            select.Parameters.AddWithValue("@limit", deadLetters is null ? limit : limit + 100);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((reader.GetInt64(0), reader.GetInt32(1)));
            }
        }

        var received = new List<ReceivedMessage>();
        foreach (var (rowId, receiveCount) in candidates)
        {
            if (received.Count == limit)
            {
                break;
            }

            if (deadLetters is not null && receiveCount >= settings.MaxReceiveCount)
            {
                await using var move = Command(connection, transaction, """
                    UPDATE sqs_messages SET queue_id = @dlq, receive_count = 0, first_receive_at = NULL, receipt_token = NULL, visible_at = @now,
                        expires_at = sent_at + @retention
                    WHERE id = @id;
                    """);
                move.Parameters.AddWithValue("@dlq", deadLetters.Id);
                move.Parameters.AddWithValue("@now", now);
                move.Parameters.AddWithValue("@retention", deadLetters.Settings.MessageRetentionSeconds * 1000L);
                move.Parameters.AddWithValue("@id", rowId);
                await move.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }

            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            await using var take = Command(connection, transaction, """
                UPDATE sqs_messages SET visible_at = @visible_at, receive_count = receive_count + 1,
                    first_receive_at = coalesce(first_receive_at, @now), receipt_token = @token
                WHERE id = @id
                RETURNING message_id, body, attributes, sent_at, receive_count, first_receive_at, group_id, dedup_id;
                """);
            take.Parameters.AddWithValue("@visible_at", now + (long)visibilityTimeout.TotalMilliseconds);
            take.Parameters.AddWithValue("@now", now);
            take.Parameters.AddWithValue("@token", token);
            take.Parameters.AddWithValue("@id", rowId);
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                continue;
            }

            var body = reader.GetString(1);
            var attributes = reader.IsDBNull(2)
                ? new Dictionary<string, MessageAttributeValue>()
                : JsonSerializer.Deserialize<Dictionary<string, MessageAttributeValue>>(reader.GetString(2))!;
            received.Add(new ReceivedMessage(
                reader.GetString(0), ReceiptHandles.Make(queue.Id, rowId, token), body, MessageDigests.OfBody(body), MessageDigests.OfAttributes(attributes),
                attributes, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetInt32(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), settings.Fifo ? SequenceNumber(rowId) : null));
        }

        await transaction.CommitAsync(cancellationToken);
        return received;
    }

    /// <summary>
    /// Deletes the message the receipt handle is for. A handle of a message already gone is no error (as on SQS); a
    /// handle that isn't one of this queue's throws ReceiptHandleIsInvalid.
    /// </summary>
    public async Task DeleteMessageAsync(QueueInfo queue, string receiptHandle, CancellationToken cancellationToken)
    {
        var (rowId, token) = ReceiptHandles.Parse(queue.Id, receiptHandle);
        await using var connection = await OpenAsync(cancellationToken);
        await using var delete = Command(connection, null, "DELETE FROM sqs_messages WHERE id = @id AND queue_id = @queue AND receipt_token = @token;");
        delete.Parameters.AddWithValue("@id", rowId);
        delete.Parameters.AddWithValue("@queue", queue.Id);
        delete.Parameters.AddWithValue("@token", token);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes a received message visible again after <paramref name="timeout"/>; false when it is no longer in flight with that handle.</summary>
    public async Task<bool> ChangeVisibilityAsync(QueueInfo queue, string receiptHandle, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (rowId, token) = ReceiptHandles.Parse(queue.Id, receiptHandle);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken);
        await using var update = Command(connection, null,
            "UPDATE sqs_messages SET visible_at = @visible_at WHERE id = @id AND queue_id = @queue AND receipt_token = @token AND visible_at > @now;");
        update.Parameters.AddWithValue("@visible_at", now + (long)timeout.TotalMilliseconds);
        update.Parameters.AddWithValue("@id", rowId);
        update.Parameters.AddWithValue("@queue", queue.Id);
        update.Parameters.AddWithValue("@token", token);
        update.Parameters.AddWithValue("@now", now);
        var changed = await update.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (changed && timeout == TimeSpan.Zero)
        {
            Interlocked.Exchange(ref _arrival, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        return changed;
    }

    public async Task<QueueCounts> CountAsync(QueueInfo queue, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var count = Command(connection, null, """
            SELECT coalesce(sum(visible_at <= @now), 0), coalesce(sum(visible_at > @now AND receive_count > 0), 0), coalesce(sum(visible_at > @now AND receive_count = 0), 0)
            FROM sqs_messages WHERE queue_id = @queue AND expires_at > @now;
            """);
        count.Parameters.AddWithValue("@queue", queue.Id);
        count.Parameters.AddWithValue("@now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new QueueCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Waits until a message is sent to any queue (or made visible at once), or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForArrivalAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _arrival).Task.WaitAsync(timeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _initializeGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string SequenceNumber(long rowId) => rowId.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<QueueInfo?> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, QueueAddress address, CancellationToken cancellationToken)
    {
        await using var select = Command(connection, transaction,
            "SELECT id, tenant, name, app_stage, settings, created_at, modified_at FROM sqs_queues WHERE tenant = @tenant AND name = @name;");
        select.Parameters.AddWithValue("@tenant", address.Tenant);
        select.Parameters.AddWithValue("@name", address.Name);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadQueue(reader) : null;
    }

    private static QueueInfo ReadQueue(SqliteDataReader reader) => new(
        reader.GetInt64(0), new QueueAddress(reader.GetString(1), reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3),
        JsonSerializer.Deserialize<QueueSettings>(reader.GetString(4))!,
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)));

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using (var busyTimeout = Command(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};"))
            {
                await busyTimeout.ExecuteNonQueryAsync(cancellationToken);
            }

            if (!_initialized)
            {
                await _initializeGate.WaitAsync(cancellationToken);
                try
                {
                    if (!_initialized)
                    {
                        await using var schema = Command(connection, null, Schema);
                        await schema.ExecuteNonQueryAsync(cancellationToken);
                        _initialized = true;
                    }
                }
                finally
                {
                    _initializeGate.Release();
                }
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}

/// <summary>Receipt handles: which queue and message a receive was of, and that receive's random token.</summary>
internal static class ReceiptHandles
{
    public static string Make(long queueId, long rowId, string token)
        => Convert.ToBase64String(Encoding.ASCII.GetBytes(FormattableString.Invariant($"{queueId}:{rowId}:{token}")));

    /// <exception cref="SqsException">ReceiptHandleIsInvalid: not a handle, or one of another queue.</exception>
    public static (long RowId, string Token) Parse(long queueId, string handle)
    {
        try
        {
            if (handle.Length <= 200 && Encoding.ASCII.GetString(Convert.FromBase64String(handle)).Split(':') is [var queue, var row, var token]
                && long.TryParse(queue, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsedQueue) && parsedQueue == queueId
                && long.TryParse(row, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rowId))
            {
                return (rowId, token);
            }
        }
        catch (FormatException)
        {
        }

        throw SqsException.InvalidReceiptHandle(handle);
    }
}
