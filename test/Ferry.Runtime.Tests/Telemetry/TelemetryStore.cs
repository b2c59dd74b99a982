using Ferry.Manifest;
using Ferry.Store;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Runtime.Tests.Telemetry;

/// <summary>
/// A real SQLite store with one deployed revision, and a clock that never moves unless a test moves it: whatever the
/// telemetry writers store, they store because of a flush or a shutdown, not because a batch window elapsed.
/// </summary>
public sealed class TelemetryStore : IAsyncDisposable
{
    private readonly DirectoryInfo _root;

    private TelemetryStore(DirectoryInfo root, SqliteFerryStore store, FunctionRevision function)
    {
        _root = root;
        Store = store;
        Function = function;
    }

    public SqliteFerryStore Store { get; }

    public FunctionRevision Function { get; }

    public FakeTimeProvider Time { get; } = new();

    public static async Task<TelemetryStore> CreateAsync()
    {
        var root = Directory.CreateTempSubdirectory("ferry-telemetry-test-");
        var store = new SqliteFerryStore(Path.Combine(root.FullName, "ferry.db"));
        await store.InitializeAsync(CancellationToken.None);
        var (appStage, revision) = await store.AddRevisionAsync("default", "telemetry", "dev", "local", new string('0', 64), "{}", CancellationToken.None);
        var function = new FunctionRevision
        {
            Tenant = "default",
            AppStageId = appStage.Id,
            RevisionId = revision.Id,
            RevisionNumber = revision.Number,
            Service = "telemetry",
            Stage = "dev",
            Region = "local",
            CodeDirectory = root.FullName,
            Function = new FunctionManifest { Name = "work", Handler = "index.handler", Runtime = "nodejs20.x", MemorySize = 256, Timeout = 30 },
        };
        return new TelemetryStore(root, store, function);
    }

    public InvocationRecord Invocation(int number) => new(
        $"req-{number}", Function.Tenant, Function.AppStageId, Function.RevisionId, Function.Name,
        DateTimeOffset.UnixEpoch.AddSeconds(number), 1.5, 2, 256, 40, InvocationStatus.Success, ColdStart: number == 0, Error: null);

    public Task<IReadOnlyList<InvocationRecord>> StoredInvocationsAsync()
        => Store.QueryInvocationsAsync(Function.AppStageId, null, DateTimeOffset.UnixEpoch, 10_000, CancellationToken.None);

    public Task<IReadOnlyList<LogEntry>> StoredLogsAsync()
        => Store.QueryLogsAsync(new LogQuery(Function.AppStageId, Limit: 10_000), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _root.Delete(recursive: true);
    }
}
