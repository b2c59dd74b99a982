using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ferry.Store;

/// <summary>Tells a store's refusal of the rows it was given apart from the store being unavailable.</summary>
public static class RefusedRows
{
    private const int SqliteTooBig = 18;
    private const int SqliteConstraint = 19;
    private const int SqliteMismatch = 20;

    /// <summary>
    /// Whether <paramref name="exception"/> says the rows themselves were refused (a constraint, a value the column
    /// cannot hold): storing the same rows again fails again, while the store takes other rows. Anything else (busy,
    /// locked, disk, connection, a restart) may pass if tried again.
    /// </summary>
    public static bool AreTheCause(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteTooBig or SqliteConstraint or SqliteMismatch,
        // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
        PostgresException postgres => postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        _ => false,
    };
}
