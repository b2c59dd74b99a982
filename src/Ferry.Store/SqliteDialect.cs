using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Ferry.Store;

/// <summary>
/// SQLite (Microsoft.Data.Sqlite) under <see cref="FerryStore"/>: a single file in WAL mode (readers never wait for
/// the writer), foreign keys enforced, a busy timeout so concurrent writers queue instead of failing, and write
/// transactions that take the write lock up front.
/// </summary>
internal sealed class SqliteDialect : StoreDialect
{
    private const int BusyTimeoutMilliseconds = 30_000;

    private readonly string _databasePath;
    private readonly string _connectionString;

    /// <param name="databasePath">The database file; it and its folder are created when missing (owner-only, 0600).</param>
    public SqliteDialect(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _databasePath = Path.GetFullPath(databasePath);
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

    // The write lock taken by BEGIN IMMEDIATE covers every row.
    public override string ForUpdate => "";

    public override string CaseInsensitiveLike => "LIKE";

    // With MAX() in the select list SQLite takes a bare column from the row holding the maximum.
    public override string LatestRequestId => "request_id";

    public override string SigningKeyInsertionOrder => "rowid";

    public override Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken) =>
        SqliteSchema.MigrateAsync((SqliteConnection)connection, _databasePath, cancellationToken);

    /// <summary>
    /// <c>synchronous = FULL</c> for durable commits (deploys, keys, settings: commits wait for fsync), <c>NORMAL</c>
    /// for telemetry: in WAL mode its commits do not wait for fsync (the WAL is synced at checkpoints, and by the next
    /// durable commit). The database stays consistent after a crash or a power loss; a power loss (not a crash of the
    /// process) may undo the last telemetry batches committed before it. Set on every open: the setting belongs to
    /// the pooled connection.
    /// </summary>
    public override async Task<DbConnection> OpenAsync(bool durableCommits, CancellationToken cancellationToken)
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

    // deferred: false issues BEGIN IMMEDIATE.
    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    // BEGIN IMMEDIATE already serialized the transaction with every other writer.
    public override Task SerializeAsync(DbTransaction transaction, long key, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One prepared INSERT run per row, in one transaction.</summary>
    public override async Task<IReadOnlyList<long>> InsertBatchAsync<TRow>(
        DbConnection connection, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, bool returnIds,
        CancellationToken cancellationToken)
    {
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES (")
            .AppendJoin(", ", columns.Select(c => "@" + c.Name))
            .Append(returnIds ? ") RETURNING id;" : ");");
        await using var insert = connection.Command(sql.ToString(), transaction);
        var parameters = columns.Select(column =>
        {
            var parameter = insert.CreateParameter();
            // With the prefix, Microsoft.Data.Sqlite finds the parameter in one lookup per row instead of two (the bare
            // name misses, then it tries "@name"); each lookup transcodes the name and scans the statement's names.
            parameter.ParameterName = "@" + column.Name;
            parameter.DbType = column.Type;
            insert.Parameters.Add(parameter);
            return parameter;
        }).ToArray();

        var ids = new List<long>(returnIds ? rows.Count : 0);
        foreach (var row in rows)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                parameters[i].Value = columns[i].ValueOf(row);
            }

            if (returnIds)
            {
                ids.Add((long)(await insert.ExecuteScalarAsync(cancellationToken))!);
            }
            else
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    // The write lock is held from BEGIN IMMEDIATE, so the subquery finds the same rows in every statement.
    public override Task<RowBatch?> TakeBatchAsync(
        DbTransaction transaction, string selectIds, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        Task.FromResult<RowBatch?>(new RowBatch($"id IN ({selectIds})", bind));

    /// <summary>Closes the pooled connections so the database file is released.</summary>
    public override ValueTask DisposeAsync()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
