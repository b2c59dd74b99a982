using Ferry.Store.Postgres;

namespace Ferry.Store;

/// <summary>
/// Where the control-plane store lives: the SQLite file <c>ferry.db</c> in the data folder, or a PostgreSQL database
/// (<c>--store postgres://user:password@host:port/database</c> or an Npgsql connection string).
/// <see cref="ToString"/> is safe to log: it never shows a password.
/// </summary>
public sealed class StoreLocation
{
    public const string SqliteFileName = "ferry.db";

    private StoreLocation(string? sqlitePath, PostgresAddress? postgres)
    {
        SqlitePath = sqlitePath;
        Postgres = postgres;
    }

    /// <summary>The SQLite file, or null when the store is on PostgreSQL.</summary>
    public string? SqlitePath { get; }

    /// <summary>The PostgreSQL database, or null when the store is a SQLite file.</summary>
    public PostgresAddress? Postgres { get; }

    /// <param name="setting">The <c>--store</c> value; null or blank: SQLite in <paramref name="dataDirectory"/>.</param>
    /// <exception cref="FormatException">The setting is neither a postgres:// URL nor a connection string.</exception>
    public static StoreLocation Resolve(string? setting, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return new StoreLocation(Path.Combine(Path.GetFullPath(dataDirectory), SqliteFileName), null);
        }

        return new StoreLocation(null, PostgresAddress.Parse(setting));
    }

    /// <summary>A new store at this location; call <see cref="IFerryStore.InitializeAsync"/> before using it.</summary>
    /// <param name="secrets">Encrypts the secret columns (access-key secrets, template parameter values).</param>
    public IControlPlaneStore Open(TimeProvider timeProvider, IStoredSecretProtector? secrets = null) => Postgres is { } postgres
        ? new PostgresFerryStore(postgres, timeProvider, secrets)
        : new SqliteFerryStore(SqlitePath!, timeProvider, secrets);

    public override string ToString() => Postgres is { } postgres ? $"PostgreSQL at {postgres}" : $"SQLite file {SqlitePath}";
}
