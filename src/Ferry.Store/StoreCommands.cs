using System.Data;
using System.Data.Common;

namespace Ferry.Store;

/// <summary>Commands and parameters on any ADO.NET provider; parameter names without their <c>@</c>.</summary>
internal static class StoreCommands
{
    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// Adds a parameter. A null keeps the type of <typeparamref name="T"/> (PostgreSQL cannot plan <c>@p IS NULL</c>
    /// on a parameter of unknown type).
    /// </summary>
    public static DbCommand With<T>(this DbCommand command, string name, T value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        if (value is null)
        {
            parameter.DbType = DbTypeOf(typeof(T));
            parameter.Value = DBNull.Value;
        }
        else
        {
            parameter.Value = value;
        }

        command.Parameters.Add(parameter);
        return command;
    }

    private static DbType DbTypeOf(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => DbType.String,
        var t when t == typeof(long) => DbType.Int64,
        var t when t == typeof(int) => DbType.Int32,
        var t when t == typeof(bool) => DbType.Boolean,
        var t when t == typeof(double) => DbType.Double,
        var t => throw new ArgumentException($"No database type for a null parameter of type {t.Name}.", nameof(type)),
    };
}
