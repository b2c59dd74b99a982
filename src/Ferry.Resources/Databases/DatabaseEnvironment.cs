namespace Ferry.Resources.Databases;

/// <summary>Names of the environment variables a database binding sets, and the service placeholders in them.</summary>
public static class DatabaseEnvironment
{
    public const string PrimaryUrl = "DATABASE_URL";

    /// <summary>
    /// "FERRY_DATABASE_MY_DB_" for "my-db". Two names that differ only in '-' versus '_' share a prefix, so the
    /// manifest must reject such pairs (compare <see cref="Prefix"/> values).
    /// </summary>
    public static string Prefix(string name)
    {
        if (!DatabaseRequest.IsValidName(name))
        {
            throw new ArgumentException($"Database name '{name}' is invalid; a database name is {DatabaseRequest.NameRule}.", nameof(name));
        }

        return "FERRY_DATABASE_" + name.ToUpperInvariant().Replace('-', '_') + "_";
    }

    public static string Url(string name) => Prefix(name) + "URL";

    public static string Path(string name) => Prefix(name) + "PATH";

    public static string Host(string name) => Prefix(name) + "HOST";

    public static string Port(string name) => Prefix(name) + "PORT";

    public static string DatabaseName(string name) => Prefix(name) + "NAME";

    public static string User(string name) => Prefix(name) + "USER";

    public static string Password(string name) => Prefix(name) + "PASSWORD";

    /// <summary>
    /// Stands for the address a function uses for a host service: the bridge's loopback address inside a private
    /// network namespace, the service's real address when the function shares the host network.
    /// </summary>
    public static string HostPlaceholder(string service) => $"${{ferry:{service}:host}}";

    /// <inheritdoc cref="HostPlaceholder"/>
    public static string PortPlaceholder(string service) => $"${{ferry:{service}:port}}";
}
