namespace Ferry.Store.Postgres;

/// <summary>
/// <see cref="FerryStore"/> on a PostgreSQL database (see <see cref="PostgresDialect"/>): the same tables, results and
/// guarantees as <see cref="SqliteFerryStore"/>, so several servers can share one control plane.
/// </summary>
public sealed class PostgresFerryStore : FerryStore
{
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
        : base(new PostgresDialect(address), timeProvider, secrets)
    {
    }
}
