namespace Ferry.Resources.Databases;

/// <summary>
/// Quoting for the utility statements (CREATE ROLE/DATABASE, GRANT, …) that take no bind parameters.
/// </summary>
internal static class PostgresSql
{
    public static string Identifier(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A PostgreSQL identifier must be non-empty and contain no NUL character.", nameof(name));
        }

        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Literal(string value)
    {
        // Backslashes would depend on standard_conforming_strings; nothing Ferry quotes needs them.
        if (value.Contains('\0', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException("A quoted literal must contain no NUL or backslash.", nameof(value));
        }

        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
