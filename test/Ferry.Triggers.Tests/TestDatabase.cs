using Ferry.Triggers.Async;
using Microsoft.Data.Sqlite;

namespace Ferry.Triggers.Tests;

/// <summary>A scratch folder with a database file, removed at the end of the test.</summary>
internal sealed class TestDatabase : IDisposable
{
    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ferry-triggers-" + Guid.NewGuid().ToString("N"));

    public TestDatabase() => Directory.CreateDirectory(_directory);

    public string Path => System.IO.Path.Combine(_directory, "ferry.db");

    public AsyncEventQueue OpenQueue(TimeProvider time) => new(Path, time);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

internal static class Targets
{
    public static FunctionAddress Function(string name = "job", long appStageId = 1)
        => new("default", appStageId, "shop", "dev", "local", name);
}
