using Npgsql;
using NpgsqlTypes;

namespace Ferry.Store.Postgres;

/// <summary>
/// Typed parameters: PostgreSQL infers a parameter's type from the value's, so a null needs its type spelled out
/// (otherwise <c>@p IS NULL</c> cannot be planned).
/// </summary>
internal static class NpgsqlCommandExtensions
{
    public static NpgsqlCommand Command(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null) =>
        new(sql, connection, transaction);

    public static NpgsqlCommand With<T>(this NpgsqlCommand command, string name, T value)
        where T : notnull
    {
        command.Parameters.Add(new NpgsqlParameter<T>(name, value));
        return command;
    }

    public static NpgsqlCommand WithText(this NpgsqlCommand command, string name, string? value)
    {
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        return command;
    }
}
