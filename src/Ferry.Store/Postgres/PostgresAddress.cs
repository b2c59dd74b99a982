using Npgsql;

namespace Ferry.Store.Postgres;

/// <summary>
/// A PostgreSQL database to keep the store in, from a <c>postgres://user:password@host:port/database?option=value</c>
/// URL or an Npgsql connection string (<c>Host=…;Username=…;Password=…;Database=…</c>). <see cref="ToString"/> is
/// <c>host:port/database</c>: safe to log, it never shows the password.
/// </summary>
public sealed class PostgresAddress
{
    /// <summary>Longest store setting accepted (a URL or connection string is a few hundred characters at most).</summary>
    public const int MaxSettingLength = 4096;

    private const int DefaultPort = 5432;

    private PostgresAddress(NpgsqlConnectionStringBuilder builder)
    {
        ConnectionString = builder.ConnectionString;
        Host = builder.Host!;
        Port = builder.Port;
        Database = builder.Database ?? builder.Username ?? "";
    }

    /// <summary>The Npgsql connection string, password included: hand it to Npgsql only, never to a log.</summary>
    public string ConnectionString { get; }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    /// <summary>Where connections go, for messages: <c>host:port</c>.</summary>
    public string Endpoint => $"{Host}:{Port}";

    public static bool LooksLikeUrl(string setting) =>
        setting.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        setting.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="FormatException">Not a usable URL or connection string; the message never holds the password.</exception>
    public static PostgresAddress Parse(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        setting = setting.Trim();
        if (setting.Length > MaxSettingLength)
        {
            throw new FormatException($"The store setting is {setting.Length} characters long; at most {MaxSettingLength} are accepted.");
        }

        var builder = LooksLikeUrl(setting) ? FromUrl(setting) : FromConnectionString(setting);
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new FormatException("The PostgreSQL store setting names no host (postgres://user:password@HOST:port/database).");
        }

        if (builder.Port <= 0)
        {
            builder.Port = DefaultPort;
        }

        return new PostgresAddress(builder);
    }

    public override string ToString() => $"{Endpoint}/{Database}";

    private static NpgsqlConnectionStringBuilder FromConnectionString(string setting)
    {
        if (!setting.Contains('=', StringComparison.Ordinal))
        {
            throw new FormatException(
                "The store setting is neither a postgres:// URL nor a connection string (Host=…;Username=…;Password=…;Database=…).");
        }

        try
        {
            return new NpgsqlConnectionStringBuilder(setting);
        }
        catch (ArgumentException ex)
        {
            // Npgsql names the offending keyword, never a value.
            throw new FormatException($"The store's connection string is not valid: {ex.Message}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string setting)
    {
        if (!Uri.TryCreate(setting, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
        {
            throw new FormatException("The store URL is not valid; expected postgres://user:password@host:port/database.");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = url.Host.Trim('[', ']'), Port = url.IsDefaultPort || url.Port < 0 ? DefaultPort : url.Port };
        if (url.UserInfo.Length > 0)
        {
            var separator = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(separator < 0 ? url.UserInfo : url.UserInfo[..separator]);
            if (separator >= 0)
            {
                builder.Password = Uri.UnescapeDataString(url.UserInfo[(separator + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(url.AbsolutePath.Trim('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[key] = value;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                throw new FormatException($"The store URL's option '{key}' is not a valid Npgsql connection option.", ex);
            }
        }

        return builder;
    }
}
