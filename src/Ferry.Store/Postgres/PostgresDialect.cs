using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.Store.Postgres;

/// <summary>
/// PostgreSQL (Npgsql) under <see cref="FerryStore"/>: one <see cref="NpgsqlDataSource"/> pools the connections;
/// write transactions lock rows (FOR UPDATE) or take advisory locks; batches are one statement over unnested arrays.
/// </summary>
internal sealed class PostgresDialect : StoreDialect
{
    private readonly PostgresAddress _address;
    private readonly NpgsqlDataSource _dataSource;

    /// <param name="address">The database; it must exist (Ferry creates its tables, not the database).</param>
    public PostgresDialect(PostgresAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _address = address;
        _dataSource = NpgsqlDataSource.Create(address.ConnectionString);
    }

    public override string ForUpdate => " FOR UPDATE";

    // ILIKE under the "C" collation folds ASCII letters only, like SQLite's LIKE.
    public override string CaseInsensitiveLike => "ILIKE";

    public override string LatestRequestId => "(array_agg(request_id ORDER BY started_at DESC, id DESC))[1]";

    public override string SigningKeyInsertionOrder => "seq";

    public override Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken) =>
        PostgresSchema.MigrateAsync((NpgsqlConnection)connection, _address, cancellationToken);

    /// <summary>A pooled connection; an unreachable server (or a refused login) is a <see cref="StoreUnavailableException"/>.</summary>
    public override async Task<DbConnection> OpenAsync(bool durableCommits, CancellationToken cancellationToken)
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

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    /// <summary>A transaction-scoped advisory lock.</summary>
    public override async Task SerializeAsync(DbTransaction transaction, long key, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.Command("SELECT pg_advisory_xact_lock(@key);", transaction).With("key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One statement (so one transaction) for the whole batch (see <see cref="InsertRowsAsync{TRow}"/>).</summary>
    public override async Task InsertBatchAsync<TRow>(
        DbConnection connection, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        await using var insert = InsertCommand(connection, null, table, columns, rows);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One statement for the whole batch: one array parameter per column, unnested into rows.</summary>
    public override async Task InsertRowsAsync<TRow>(
        DbTransaction transaction, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        await using var insert = InsertCommand(transaction.Connection!, transaction, table, columns, rows);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand InsertCommand<TRow>(
        DbConnection connection, DbTransaction? transaction, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        var arrays = string.Join(", ", columns.Select(c => "@" + c.Name));
        var insert = connection.Command($"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays});", transaction);
        foreach (var column in columns)
        {
            insert.Parameters.Add(new NpgsqlParameter(column.Name, NpgsqlDbType.Array | TypeOf(column.Type)) { Value = column.ValuesOf(rows) });
        }

        return insert;
    }

    /// <summary>Key of the advisory lock that hands out id blocks one writer at a time.</summary>
    private const long IdReservationLock = 0x6665_7272_7969_6473; // "ferryids"

    /// <summary>
    /// Moves the identity's sequence past the block in one statement, under a transaction-scoped advisory lock, so
    /// the block is consecutive and blocks are taken (and their transactions commit) one writer at a time.
    /// </summary>
    public override async Task<long> ReserveIdsAsync(DbTransaction transaction, string table, int count, CancellationToken cancellationToken)
    {
        await SerializeAsync(transaction, IdReservationLock, cancellationToken);
        await using var command = transaction.Connection!.Command(
                "SELECT setval(pg_get_serial_sequence(@table, 'id'), nextval(pg_get_serial_sequence(@table, 'id')) + @count - 1);",
                transaction)
            .With("table", table).With("count", (long)count);
        var last = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return last - count + 1;
    }

    /// <summary>Reads and locks the rows (FOR UPDATE: a concurrent writer waits instead of touching them too).</summary>
    public override async Task<RowBatch?> TakeBatchAsync(
        DbTransaction transaction, string selectIds, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        long[] ids;
        await using (var select = transaction.Connection!.Command($"{selectIds} FOR UPDATE;", transaction))
        {
            bind(select);
            ids = [.. await StoreRows.ReadAllAsync(select, r => r.GetInt64(0), cancellationToken)];
        }

        return ids.Length == 0 ? null : new RowBatch("id = ANY(@ids)", command => command.With("ids", ids));
    }

    /// <summary>Closes the pooled connections.</summary>
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static NpgsqlDbType TypeOf(DbType type) => type switch
    {
        DbType.Int64 => NpgsqlDbType.Bigint,
        DbType.Int32 => NpgsqlDbType.Integer,
        DbType.String => NpgsqlDbType.Text,
        DbType.Double => NpgsqlDbType.Double,
        DbType.Boolean => NpgsqlDbType.Boolean,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No PostgreSQL array type for this column type."),
    };
}
