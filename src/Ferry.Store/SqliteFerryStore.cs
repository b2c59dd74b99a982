namespace Ferry.Store;

/// <summary>
/// <see cref="FerryStore"/> on a single SQLite file (see <see cref="SqliteDialect"/>: WAL mode, foreign keys, a busy
/// timeout, write transactions that take the write lock up front).
/// </summary>
public sealed class SqliteFerryStore : FerryStore
{
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
        : base(new SqliteDialect(databasePath), timeProvider, secrets)
    {
    }
}
