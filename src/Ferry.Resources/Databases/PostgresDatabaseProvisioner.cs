using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ferry.Resources.Databases;

/// <summary>
/// One PostgreSQL database and one login role per app stage and database name, on a server Ferry administers through
/// a role with CREATEDB and CREATEROLE. The database is owned by the role and closed to PUBLIC, so an app's role can
/// connect to its own databases only. Functions reach the server through <see cref="PostgresRelay"/>.
/// </summary>
public sealed partial class PostgresDatabaseProvisioner : IDatabaseProvisioner, IAsyncDisposable
{
    public const string EngineName = "postgres";

    /// <summary>The service name in the <c>${ferry:postgres:host}</c>/<c>…:port}</c> placeholders.</summary>
    public const string ServiceName = "postgres";

    private const int LockStripes = 64;

    private readonly PostgresDatabaseOptions _options;
    private readonly ILogger<PostgresDatabaseProvisioner> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly NpgsqlDataSource _admin;
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly EndPoint _serverEndPoint;
    private readonly DatabaseServiceEndpoint _service;

    // Serializes Ensure/Drop per identity (striped: bounded memory, rare harmless sharing). Other processes are
    // covered by tolerating duplicate_database/duplicate_object.
    private readonly SemaphoreSlim[] _identityLocks;
    private readonly Lock _relayLock = new();
    private PostgresRelay? _relay;
    private bool _disposed;

    public PostgresDatabaseProvisioner(PostgresDatabaseOptions options, ILogger<PostgresDatabaseProvisioner> logger, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.PasswordKey is null || options.PasswordKey.Length < PostgresRolePassword.MinimumKeyBytes)
        {
            throw new ArgumentException($"PasswordKey must hold at least {PostgresRolePassword.MinimumKeyBytes} bytes.", nameof(options));
        }

        if (options.ConnectionLimitPerRole is < -1 or 0 or > 10_000)
        {
            throw new ArgumentException($"ConnectionLimitPerRole {options.ConnectionLimitPerRole} is invalid; use -1 (no limit) or 1 to 10000.", nameof(options));
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.AdminConnectionString);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"AdminConnectionString is invalid: {exception.Message}", nameof(options), exception);
        }

        if (string.IsNullOrWhiteSpace(builder.Host) || builder.Host.Contains(','))
        {
            throw new ArgumentException("AdminConnectionString must name exactly one Host.", nameof(options));
        }

        _options = options;
        _logger = logger;
        _loggerFactory = loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        _serverHost = builder.Host;
        _serverPort = builder.Port;
        _serverEndPoint = ServerEndPoint(_serverHost, _serverPort);
        _service = new DatabaseServiceEndpoint(ServiceName, options.RelaySocketPath, _serverHost, _serverPort);
        _identityLocks = Enumerable.Range(0, LockStripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        _admin = NpgsqlDataSource.Create(builder);
    }

    public string Engine => EngineName;

    /// <summary>The service functions connect to (the same for every database).</summary>
    public DatabaseServiceEndpoint Service => _service;

    /// <summary>
    /// Starts the relay when it is not running yet. <see cref="EnsureAsync"/> does this too; call it at server start
    /// so that already deployed functions can connect before any Ensure.
    /// </summary>
    public PostgresRelay StartRelay()
    {
        lock (_relayLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _relay ??= PostgresRelay.Start(
                _options.RelaySocketPath,
                _serverEndPoint,
                _loggerFactory.CreateLogger<PostgresRelay>(),
                maxConnections: _options.MaxRelayConnections);
        }
    }

    public async Task<DatabaseBinding> EnsureAsync(DatabaseRequest request, CancellationToken cancellationToken)
    {
        var opaque = NamesFor(request);
        StartRelay();

        PostgresDatabaseNames names;
        string password;
        var identityLock = _identityLocks[opaque.LockStripe(LockStripes)];
        await identityLock.WaitAsync(cancellationToken);
        try
        {
            var step = new Step(this, request, "create");
            await using var connection = await step.OpenAsync(cancellationToken);
            await using var serverLock = await step.LockAsync(connection, opaque, cancellationToken);
            // A database made before names were opaque keeps its readable name (and its data).
            var readable = PostgresDatabaseNames.DeriveReadable(request);
            var readableState = await step.InspectAsync(connection, readable, cancellationToken);
            names = readableState.DatabaseExists ? readable : opaque;
            var state = names == readable ? readableState : await step.InspectAsync(connection, opaque, cancellationToken);
            password = PostgresRolePassword.Derive(_options.PasswordKey, names);
            var verifier = PostgresRolePassword.ScramVerifier(_options.PasswordKey, names, password);
            if (!state.Admin.IsSuperuser && !state.Admin.CanCreateDatabases)
            {
                throw step.Fail($"the admin role '{state.Admin.Name}' lacks CREATEDB (ALTER ROLE {state.Admin.Name} CREATEDB)");
            }

            if (!state.Admin.IsSuperuser && !state.Admin.CanCreateRoles)
            {
                throw step.Fail($"the admin role '{state.Admin.Name}' lacks CREATEROLE (ALTER ROLE {state.Admin.Name} CREATEROLE)");
            }

            var role = PostgresSql.Identifier(names.Role);
            var database = PostgresSql.Identifier(names.Database);
            if (!state.RoleExists)
            {
                await step.ExecuteAsync(connection, "create the role", $"CREATE ROLE {role} WITH LOGIN", cancellationToken,
                    PostgresErrorCodes.DuplicateObject, PostgresErrorCodes.UniqueViolation);
            }

            // Every time, so that a password or limit changed behind Ferry's back is put right.
            await step.ExecuteAsync(connection, "set the role's password",
                $"ALTER ROLE {role} WITH LOGIN CONNECTION LIMIT {_options.ConnectionLimitPerRole} PASSWORD {PostgresSql.Literal(verifier)}",
                cancellationToken);

            if (!state.Admin.IsSuperuser)
            {
                // Creating a database owned by another role, and later dropping it, requires membership in that role.
                await step.ExecuteAsync(connection, "grant the admin membership in the role", $"GRANT {role} TO CURRENT_USER", cancellationToken);
            }

            var created = false;
            if (!state.DatabaseExists)
            {
                // CREATE DATABASE cannot run inside a transaction; Npgsql runs each command on its own (autocommit).
                created = await step.ExecuteAsync(connection, "create the database", $"CREATE DATABASE {database} OWNER {role}", cancellationToken,
                    PostgresErrorCodes.DuplicateDatabase, PostgresErrorCodes.UniqueViolation);
            }

            // REVOKE ALL includes CONNECT: no other role (another tenant's) may connect to it.
            await step.ExecuteAsync(connection, "restrict the database to its role",
                $"ALTER DATABASE {database} OWNER TO {role}; REVOKE ALL ON DATABASE {database} FROM PUBLIC; GRANT ALL ON DATABASE {database} TO {role}",
                cancellationToken);

            if (created)
            {
                LogCreated(_logger, names.Database, request.Tenant, request.Service, request.Stage, request.Region, request.Name);
            }
        }
        finally
        {
            identityLock.Release();
        }

        return Binding(request, names, password);
    }

    public async Task<bool> DropAsync(DatabaseRequest request, CancellationToken cancellationToken)
    {
        var opaque = NamesFor(request);
        var identityLock = _identityLocks[opaque.LockStripe(LockStripes)];
        await identityLock.WaitAsync(cancellationToken);
        try
        {
            var step = new Step(this, request, "drop");
            await using var connection = await step.OpenAsync(cancellationToken);
            await using var serverLock = await step.LockAsync(connection, opaque, cancellationToken);
            var readable = PostgresDatabaseNames.DeriveReadable(request);
            var dropped = await DropNamesAsync(step, connection, readable, cancellationToken);
            dropped |= await DropNamesAsync(step, connection, opaque, cancellationToken);
            if (dropped)
            {
                LogDropped(_logger, opaque.Database, request.Tenant, request.Service, request.Stage, request.Region, request.Name);
            }

            return dropped;
        }
        finally
        {
            identityLock.Release();
        }
    }

    /// <summary>Drops the database and role of one naming scheme; false when neither existed.</summary>
    private static async Task<bool> DropNamesAsync(Step step, NpgsqlConnection connection, PostgresDatabaseNames names, CancellationToken cancellationToken)
    {
        var state = await step.InspectAsync(connection, names, cancellationToken);
        var role = PostgresSql.Identifier(names.Role);
        var database = PostgresSql.Identifier(names.Database);
        if (state.DatabaseExists)
        {
            if (!state.Admin.IsSuperuser && state.RoleExists)
            {
                await step.ExecuteAsync(connection, "grant the admin membership in the role", $"GRANT {role} TO CURRENT_USER", cancellationToken);
            }

            // FORCE terminates the app's open connections first (PostgreSQL 13+).
            await step.ExecuteAsync(connection, "drop the database", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", cancellationToken);
        }

        if (state.RoleExists)
        {
            await step.ExecuteAsync(connection, "drop the role", $"DROP ROLE IF EXISTS {role}", cancellationToken);
        }

        return state.DatabaseExists || state.RoleExists;
    }

    public async ValueTask DisposeAsync()
    {
        PostgresRelay? relay;
        lock (_relayLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            relay = _relay;
            _relay = null;
        }

        if (relay is not null)
        {
            await relay.DisposeAsync();
        }

        await _admin.DisposeAsync();
    }

    /// <summary>The (opaque) names a new database of <paramref name="request"/> gets.</summary>
    internal PostgresDatabaseNames NamesFor(DatabaseRequest request) => PostgresDatabaseNames.Derive(request, _options.PasswordKey);

    private DatabaseBinding Binding(DatabaseRequest request, PostgresDatabaseNames names, string password)
    {
        var host = DatabaseEnvironment.HostPlaceholder(ServiceName);
        var port = DatabaseEnvironment.PortPlaceholder(ServiceName);
        var url = $"postgres://{Uri.EscapeDataString(names.Role)}:{Uri.EscapeDataString(password)}@{host}:{port}/{Uri.EscapeDataString(names.Database)}";
        var name = request.Name;
        return DatabaseBinding.Create(
            name,
            EngineName,
            [
                new(DatabaseEnvironment.Url(name), url),
                new(DatabaseEnvironment.Host(name), host),
                new(DatabaseEnvironment.Port(name), port),
                new(DatabaseEnvironment.DatabaseName(name), names.Database),
                new(DatabaseEnvironment.User(name), names.Role),
                new(DatabaseEnvironment.Password(name), password),
            ],
            [DatabaseEnvironment.Url(name), DatabaseEnvironment.Password(name)],
            mount: null,
            _service);
    }

    private static EndPoint ServerEndPoint(string host, int port)
    {
        // libpq and Npgsql read a Host that is a path as the folder of the server's UNIX socket.
        if (host.StartsWith('/'))
        {
            return new UnixDomainSocketEndPoint(Path.Combine(host, $".s.PGSQL.{port}"));
        }

        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }

    private sealed class AdvisoryLock(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                return;
            }

            // Not cancellable on purpose: a pooled connection must not go back still holding the lock.
            await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_unlock($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            try
            {
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection broke, which released the lock on the server anyway.
            }
        }
    }

    private sealed record AdminRole(string Name, bool IsSuperuser, bool CanCreateDatabases, bool CanCreateRoles);

    private sealed record ServerState(AdminRole Admin, bool RoleExists, bool DatabaseExists);

    /// <summary>Runs the admin statements of one Ensure or Drop and turns their failures into clear exceptions.</summary>
    private sealed class Step(PostgresDatabaseProvisioner owner, DatabaseRequest request, string action)
    {
        public DatabaseProvisioningException Fail(string cause, Exception? inner = null) => new(request, action, cause, inner);

        public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await owner._admin.OpenConnectionAsync(cancellationToken);
            }
            catch (PostgresException exception)
            {
                throw Fail($"the PostgreSQL server at {owner.ServerAddress} refused the admin login: {exception.MessageText} ({exception.SqlState})", exception);
            }
            catch (NpgsqlException exception)
            {
                throw Fail($"cannot reach the PostgreSQL server at {owner.ServerAddress}: {Innermost(exception).Message}", exception);
            }
        }

        /// <summary>
        /// Serializes the identity across Ferry processes sharing the server too: concurrent ALTER ROLE/GRANT on the
        /// same role fail with "tuple concurrently updated". The server releases the lock if the connection drops.
        /// </summary>
        public async Task<AdvisoryLock> LockAsync(NpgsqlConnection connection, PostgresDatabaseNames names, CancellationToken cancellationToken)
        {
            var key = names.AdvisoryLockKey;
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_lock($1)", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = key });
                await command.ExecuteNonQueryAsync(cancellationToken);
                return new AdvisoryLock(connection, key);
            }
            catch (NpgsqlException exception)
            {
                throw Translate("take the provisioning lock", exception);
            }
        }

        public async Task<ServerState> InspectAsync(NpgsqlConnection connection, PostgresDatabaseNames names, CancellationToken cancellationToken)
        {
            const string Sql = """
                SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $2)
                FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
                """;
            try
            {
                await using var command = new NpgsqlCommand(Sql, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = names.Role });
                command.Parameters.Add(new NpgsqlParameter { Value = names.Database });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    throw Fail("the admin role does not appear in pg_roles");
                }

                return new ServerState(
                    new AdminRole(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3)),
                    reader.GetBoolean(4),
                    reader.GetBoolean(5));
            }
            catch (NpgsqlException exception)
            {
                throw Translate("inspect the server", exception);
            }
        }

        /// <summary>Returns false when the statement failed with one of <paramref name="tolerated"/> (already done).</summary>
        public async Task<bool> ExecuteAsync(NpgsqlConnection connection, string what, string sql, CancellationToken cancellationToken, params string[] tolerated)
        {
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }
            catch (PostgresException exception) when (tolerated.Contains(exception.SqlState))
            {
                return false;
            }
            catch (NpgsqlException exception)
            {
                throw Translate(what, exception);
            }
        }

        private DatabaseProvisioningException Translate(string what, NpgsqlException exception)
        {
            if (exception is not PostgresException postgres)
            {
                return Fail($"lost the connection to the PostgreSQL server at {owner.ServerAddress} while trying to {what}: {Innermost(exception).Message}", exception);
            }

            var hint = postgres.SqlState switch
            {
                PostgresErrorCodes.InsufficientPrivilege => " (the admin role needs CREATEDB and CREATEROLE, or superuser)",
                PostgresErrorCodes.DependentObjectsStillExist => " (the role still owns objects or holds privileges in another database)",
                PostgresErrorCodes.TooManyConnections => " (the server has no connection slot left)",
                _ => "",
            };
            return Fail($"PostgreSQL refused to {what}: {postgres.MessageText} ({postgres.SqlState}){hint}", exception);
        }

        private static Exception Innermost(Exception exception)
        {
            while (exception.InnerException is not null)
            {
                exception = exception.InnerException;
            }

            return exception;
        }
    }

    private string ServerAddress => _serverHost.StartsWith('/') ? $"{_serverHost} (port {_serverPort})" : $"{_serverHost}:{_serverPort}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Created PostgreSQL database {Database} for {Tenant}/{Service}/{Stage}@{Region} database '{Name}'")]
    private static partial void LogCreated(ILogger logger, string database, string tenant, string service, string stage, string region, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped PostgreSQL database and role {Database} of {Tenant}/{Service}/{Stage}@{Region} database '{Name}'")]
    private static partial void LogDropped(ILogger logger, string database, string tenant, string service, string stage, string region, string name);
}
