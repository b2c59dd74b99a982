using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ferry.Store.Tests;

public sealed class RefusedRowsTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new SqliteException("FOREIGN KEY constraint failed", 19), true },
        { new SqliteException("NOT NULL constraint failed: logs.function", 19), true },
        { new SqliteException("string or blob too big", 18), true },
        { new SqliteException("database is locked", 5), false },
        { new SqliteException("disk I/O error", 10), false },
        { new PostgresException("violates foreign key constraint", "ERROR", "ERROR", "23503"), true },
        { new PostgresException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "ERROR", "22021"), true },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"), false },
        { new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"), false },
        { new NpgsqlException("Failed to connect"), false },
        { new IOException("No space left on device"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Only_failures_caused_by_the_rows_themselves_say_so(Exception failure, bool rowsAreTheCause)
        => Assert.Equal(rowsAreTheCause, RefusedRows.AreTheCause(failure));
}
