using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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

    /// <summary>One prepared INSERT run per row (see <see cref="InsertRows{TRow}"/>).</summary>
    public override Task InsertRowsAsync<TRow>(
        DbTransaction transaction, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        InsertRows((SqliteConnection)transaction.Connection!, table, columns, rows);
        return Task.CompletedTask;
    }

    /// <summary>
    /// BEGIN IMMEDIATE holds the database's write lock, so the block starts above the highest id AUTOINCREMENT has
    /// given out (<c>sqlite_sequence</c>; explicit ids inserted later move it up to the block's end).
    /// </summary>
    public override async Task<long> ReserveIdsAsync(DbTransaction transaction, string table, int count, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.Command(
                $"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = @table), 0), COALESCE((SELECT MAX(id) FROM {table}), 0));",
                transaction)
            .With("table", table);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) + 1;
    }

    /// <summary>
    /// Runs one INSERT per row through SQLitePCLRaw, the layer Microsoft.Data.Sqlite is built on: the statement is
    /// prepared once and its parameters are bound by position. Through <see cref="SqliteCommand"/> every execution
    /// looks each parameter up by name (a scan of the statement's names per parameter); without that (and without
    /// <c>RETURNING id</c>) a log line or invocation record cost the server about 5 µs less (bench/README.md, issue 12,
    /// step 16). Caller holds the write transaction.
    /// </summary>
    private static void InsertRows<TRow>(
        SqliteConnection connection, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES (")
            .AppendJoin(", ", Enumerable.Range(1, columns.Count).Select(position => "?" + position.ToString(CultureInfo.InvariantCulture)))
            .Append(')')
            .ToString();
        var database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        ThrowOnError(raw.sqlite3_prepare_v2(database, sql, out var statement), database);
        using (statement)
        {
            foreach (var row in rows)
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    ThrowOnError(Bind(statement, i + 1, columns[i].ValueOf(row)), database);
                }

                var result = raw.sqlite3_step(statement);
                if (result != raw.SQLITE_DONE)
                {
                    raw.sqlite3_reset(statement);
                    ThrowOnError(result, database);
                }

                raw.sqlite3_reset(statement);
            }
        }
    }

    private static int Bind(sqlite3_stmt statement, int position, object value) => value switch
    {
        DBNull => raw.sqlite3_bind_null(statement, position),
        long number => raw.sqlite3_bind_int64(statement, position, number),
        int number => raw.sqlite3_bind_int64(statement, position, number),
        bool flag => raw.sqlite3_bind_int64(statement, position, flag ? 1 : 0),
        double number => raw.sqlite3_bind_double(statement, position, number),
        string text => raw.sqlite3_bind_text(statement, position, text),
        _ => throw new ArgumentException($"A batch column gave a {value.GetType()}, which the SQLite batch insert does not bind.", nameof(value)),
    };

    /// <summary>Throws the <see cref="SqliteException"/> Microsoft.Data.Sqlite would for a failed call (constraint, full disk, …).</summary>
    private static void ThrowOnError(int result, sqlite3 database)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }
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
