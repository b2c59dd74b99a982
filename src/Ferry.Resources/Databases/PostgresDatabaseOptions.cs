namespace Ferry.Resources.Databases;

public sealed class PostgresDatabaseOptions
{
    /// <summary>
    /// An Npgsql connection string for a role with CREATEDB and CREATEROLE (or a superuser). Its Host and Port are
    /// also where the relay forwards and what host-network functions connect to.
    /// </summary>
    public required string AdminConnectionString { get; init; }

    /// <summary>At least 32 secret bytes (see <see cref="PostgresPasswordKey"/>); role passwords derive from it.</summary>
    public required byte[] PasswordKey { get; init; }

    /// <summary>The host UNIX socket the relay listens on; the runtime bridges it into sandboxes.</summary>
    public required string RelaySocketPath { get; init; }

    /// <summary>CONNECTION LIMIT of each app role, so that one app cannot take every server connection; -1: none.</summary>
    public int ConnectionLimitPerRole { get; init; } = 32;

    /// <summary>Most relayed connections at once (all apps together); further ones are closed at once.</summary>
    public int MaxRelayConnections { get; init; } = 512;
}
