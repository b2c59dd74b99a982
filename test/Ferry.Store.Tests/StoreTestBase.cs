using Microsoft.Data.Sqlite;

namespace Ferry.Store.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Gives each test a fresh database file in its own temp directory.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("ferry-store-tests-").FullName;

    internal ManualTimeProvider Clock { get; } = new(T0);

    protected string DatabasePath => Path.Combine(_directory, "state", "ferry.db");

    protected SqliteFerryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new SqliteFerryStore(DatabasePath, Clock);
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    protected Task<(AppStage AppStage, Revision Revision)> DeployAsync(
        string service = "orders", string stage = "dev", string tenant = "acme", string artifact = "a1", string region = "local") =>
        Store.AddRevisionAsync(tenant, service, stage, region, artifact, "{\"service\":\"" + service + "\"}", CancellationToken.None);

    protected static NewLogEntry Log(long appStageId, long revisionId, string message, string function = "create", int second = 0,
        LogStream stream = LogStream.Stdout, string? requestId = "req-1") =>
        new(appStageId, revisionId, function, requestId, "inst-1", T0.AddSeconds(second), stream, message);

    protected static InvocationRecord Invocation(long appStageId, long revisionId, string requestId, int second,
        string function = "create", InvocationStatus status = InvocationStatus.Success) =>
        new(requestId, "acme", appStageId, revisionId, function, T0.AddSeconds(second), 12.5, 13, 128, 40, status,
            ColdStart: second == 0, Error: status == InvocationStatus.Success ? null : "boom");
}
