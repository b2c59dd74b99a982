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

    /// <summary>
    /// One statement (so one transaction) for the whole batch: one array parameter per column, unnested into rows.
    /// Identity values are drawn in the order the SELECT produces its rows (the batch's order, WITH ORDINALITY), so
    /// the returned ids, sorted, belong to the rows in order.
    /// </summary>
    public override async Task<IReadOnlyList<long>> InsertBatchAsync<TRow>(
        DbConnection connection, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, bool returnIds,
        CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        var arrays = string.Join(", ", columns.Select(c => "@" + c.Name));
        var sql = returnIds
            ? $"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS batch ({names}, position) ORDER BY position RETURNING id;"
            : $"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays});";
        await using var insert = connection.Command(sql);
        foreach (var column in columns)
        {
            insert.Parameters.Add(new NpgsqlParameter(column.Name, NpgsqlDbType.Array | TypeOf(column.Type)) { Value = column.ValuesOf(rows) });
        }

        if (!returnIds)
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return [];
        }

        var ids = await StoreRows.ReadAllAsync(insert, reader => reader.GetInt64(0), cancellationToken);
        ids.Sort();
        return ids;
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
