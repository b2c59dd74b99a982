using System.Data;
using System.Data.Common;

namespace Ferry.Store;

/// <summary>
/// What differs between the databases <see cref="FerryStore"/> runs on, and nothing else: how connections are opened
/// and configured, how a writing transaction takes its locks, the few SQL fragments the two databases spell
/// differently, and how a batch of rows is inserted in one round trip. Every query is written once, in
/// <see cref="FerryStore"/>, with <c>@name</c> parameters (both drivers accept them).
/// </summary>
internal abstract class StoreDialect : IAsyncDisposable
{
    /// <summary>Appended to a SELECT inside a write transaction to lock the rows it reads ("" where the transaction already holds the write lock).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>LIKE that folds ASCII letters only (both stores compare text byte-wise otherwise).</summary>
    public abstract string CaseInsensitiveLike { get; }

    /// <summary>In a query grouped over <c>invocations</c>: the request id of the group's latest invocation.</summary>
    public abstract string LatestRequestId { get; }

    /// <summary>A column of <c>signing_keys</c> that orders rows by insertion (ties of <c>created_at</c>).</summary>
    public abstract string SigningKeyInsertionOrder { get; }

    /// <summary>Creates tables when missing and applies pending migrations.</summary>
    public abstract Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>An open pooled connection.</summary>
    /// <param name="durableCommits">
    /// False for telemetry (log lines, invocation records): a commit may skip waiting for the disk where the database
    /// allows it without risking consistency.
    /// </param>
    public abstract Task<DbConnection> OpenAsync(bool durableCommits, CancellationToken cancellationToken);

    /// <summary>
    /// A transaction that will write. SQLite takes the database's write lock up front (BEGIN IMMEDIATE), so
    /// read-then-write transactions serialize; PostgreSQL locks rows as statements touch them (see <see cref="ForUpdate"/>).
    /// </summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Serializes the transaction with every other one that takes <paramref name="key"/>, until it ends (for checks
    /// on rows that may not exist yet, so cannot be locked).
    /// </summary>
    public abstract Task SerializeAsync(DbTransaction transaction, long key, CancellationToken cancellationToken);

    /// <summary>Inserts <paramref name="rows"/> into <paramref name="table"/>, all or none (in a transaction of its own).</summary>
    public virtual async Task InsertBatchAsync<TRow>(
        DbConnection connection, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        await InsertRowsAsync(transaction, table, columns, rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Inserts <paramref name="rows"/> into <paramref name="table"/> inside <paramref name="transaction"/>, in one round trip where the database allows it.</summary>
    public abstract Task InsertRowsAsync<TRow>(
        DbTransaction transaction, string table, IReadOnlyList<BatchColumn<TRow>> columns, IReadOnlyList<TRow> rows, CancellationToken cancellationToken);

    /// <summary>
    /// Reserves <paramref name="count"/> consecutive ids of <paramref name="table"/>'s never-reused <c>id</c>, above
    /// every id given out before, and returns the first; the caller inserts its rows with ids from the block inside
    /// <paramref name="transaction"/>, a write transaction (<see cref="BeginWriteAsync"/>). Blocks are handed out one
    /// writer at a time, so ids grow in the order their transactions commit.
    /// </summary>
    public abstract Task<long> ReserveIdsAsync(DbTransaction transaction, string table, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Fixes, inside <paramref name="transaction"/>, the rows whose ids <paramref name="selectIds"/> returns (its
    /// parameters bound by <paramref name="bind"/>), so statements that follow touch exactly those rows; null when
    /// there are none.
    /// </summary>
    public abstract Task<RowBatch?> TakeBatchAsync(
        DbTransaction transaction, string selectIds, Action<DbCommand> bind, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Rows fixed by <see cref="StoreDialect.TakeBatchAsync"/>: a condition on <c>id</c> and the parameters it needs.</summary>
internal sealed record RowBatch(string IdCondition, Action<DbCommand> Bind);

/// <summary>One column of a batch insert: its name, type and how a row gives its value.</summary>
internal abstract class BatchColumn<TRow>(string name, DbType type)
{
    public string Name { get; } = name;

    public DbType Type { get; } = type;

    /// <summary>The value of one row (DBNull for null).</summary>
    public abstract object ValueOf(TRow row);

    /// <summary>The values of every row as a typed array (for array parameters).</summary>
    public abstract Array ValuesOf(IReadOnlyList<TRow> rows);
}

internal sealed class BatchColumn<TRow, T>(string name, DbType type, Func<TRow, T> value) : BatchColumn<TRow>(name, type)
{
    public override object ValueOf(TRow row) => (object?)value(row) ?? DBNull.Value;

    public override Array ValuesOf(IReadOnlyList<TRow> rows) => rows.Select(value).ToArray();
}

internal static class BatchColumn
{
    public static BatchColumn<TRow> Of<TRow, T>(string name, DbType type, Func<TRow, T> value) => new BatchColumn<TRow, T>(name, type, value);
}
