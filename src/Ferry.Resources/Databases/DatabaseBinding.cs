using System.Collections.Frozen;

namespace Ferry.Resources.Databases;

/// <summary>
/// How functions reach one database. <see cref="Environment"/> values may hold the
/// <see cref="DatabaseEnvironment.HostPlaceholder"/>/<see cref="DatabaseEnvironment.PortPlaceholder"/> placeholders of
/// <see cref="Service"/>, which the runtime substitutes per instance.
/// </summary>
/// <param name="Name">The logical name from serverless.yml.</param>
/// <param name="Engine">"sqlite" or "postgres".</param>
/// <param name="SecretEnvironmentKeys">Keys whose values must never be shown (the password and URLs that hold it).</param>
/// <param name="Mount">SQLite: the folder to bind read-write into the sandbox. Every database of an app stage has the
/// same one, so mount each distinct folder once.</param>
/// <param name="Service">PostgreSQL: the host service the function must be able to reach.</param>
public sealed record DatabaseBinding(
    string Name,
    string Engine,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlySet<string> SecretEnvironmentKeys,
    DatabaseMount? Mount,
    DatabaseServiceEndpoint? Service)
{
    /// <summary>
    /// The binding plus the conventional unprefixed names for an app's first database: <c>DATABASE_URL</c> and, for
    /// PostgreSQL, libpq's <c>PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD</c> so that <c>psql</c> alone connects.
    /// Aliases of secret values are secret too.
    /// </summary>
    public static DatabaseBinding Primary(DatabaseBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var environment = new Dictionary<string, string>(binding.Environment, StringComparer.Ordinal);
        var secrets = new HashSet<string>(binding.SecretEnvironmentKeys, StringComparer.Ordinal);

        void Alias(string alias, string key)
        {
            if (!binding.Environment.TryGetValue(key, out var value))
            {
                throw new ArgumentException($"The {binding.Engine} binding of database '{binding.Name}' has no {key} to alias as {alias}.", nameof(binding));
            }

            environment[alias] = value;
            if (binding.SecretEnvironmentKeys.Contains(key))
            {
                secrets.Add(alias);
            }
        }

        Alias(DatabaseEnvironment.PrimaryUrl, DatabaseEnvironment.Url(binding.Name));
        if (binding.Engine == PostgresDatabaseProvisioner.EngineName)
        {
            Alias("PGHOST", DatabaseEnvironment.Host(binding.Name));
            Alias("PGPORT", DatabaseEnvironment.Port(binding.Name));
            Alias("PGDATABASE", DatabaseEnvironment.DatabaseName(binding.Name));
            Alias("PGUSER", DatabaseEnvironment.User(binding.Name));
            Alias("PGPASSWORD", DatabaseEnvironment.Password(binding.Name));
        }

        return binding with
        {
            Environment = environment.ToFrozenDictionary(StringComparer.Ordinal),
            SecretEnvironmentKeys = secrets.ToFrozenSet(StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// This binding (of another app stage's database) as the database <paramref name="localName"/> of the app stage
    /// that uses it: its variables are renamed to <paramref name="localName"/>'s, and a SQLite folder is bound at
    /// <paramref name="sandboxDirectory"/> instead, beside the user's own databases folder, with the paths in the
    /// variables moved along. The owner's role and password (PostgreSQL) are kept: the user connects as the owner.
    /// </summary>
    public DatabaseBinding UsedAs(string localName, string sandboxDirectory)
    {
        var from = DatabaseEnvironment.Prefix(Name);
        var to = DatabaseEnvironment.Prefix(localName);
        string Rename(string key) => key.StartsWith(from, StringComparison.Ordinal) ? to + key[from.Length..] : key;
        string Move(string value) => Mount is null ? value : value.Replace(Mount.SandboxPath + "/", sandboxDirectory.TrimEnd('/') + "/", StringComparison.Ordinal);
        return Create(
            localName,
            Engine,
            Environment.Select(pair => KeyValuePair.Create(Rename(pair.Key), Move(pair.Value))),
            SecretEnvironmentKeys.Select(Rename),
            Mount is null ? null : Mount with { SandboxPath = sandboxDirectory.TrimEnd('/') },
            Service);
    }

    /// <summary>Equal when everything a function would see is equal (the collections are compared by content).</summary>
    public bool Equals(DatabaseBinding? other) =>
        other is not null
        && Name == other.Name
        && Engine == other.Engine
        && Mount == other.Mount
        && Service == other.Service
        && Environment.Count == other.Environment.Count
        && Environment.All(pair => other.Environment.TryGetValue(pair.Key, out var value) && value == pair.Value)
        && SecretEnvironmentKeys.SetEquals(other.SecretEnvironmentKeys);

    public override int GetHashCode() => HashCode.Combine(Name, Engine, Mount, Service, Environment.Count);

    internal static DatabaseBinding Create(
        string name,
        string engine,
        IEnumerable<KeyValuePair<string, string>> environment,
        IEnumerable<string> secretKeys,
        DatabaseMount? mount,
        DatabaseServiceEndpoint? service) =>
        new(name, engine, environment.ToFrozenDictionary(StringComparer.Ordinal), secretKeys.ToFrozenSet(StringComparer.Ordinal), mount, service);
}

/// <summary>A host folder bound read-write into the sandbox (SQLite needs its folder for -wal/-journal files).</summary>
public sealed record DatabaseMount(string HostPath, string SandboxPath);

/// <summary>
/// A host service functions connect to. Inside a private network namespace the runtime bridges
/// <see cref="RelaySocketPath"/> to a loopback port; with the host network the function uses
/// <see cref="HostAddress"/>:<see cref="HostPort"/> (a host name, an IP address, or a UNIX socket folder as libpq
/// understands it).
/// </summary>
public sealed record DatabaseServiceEndpoint(string Name, string RelaySocketPath, string HostAddress, int HostPort);
