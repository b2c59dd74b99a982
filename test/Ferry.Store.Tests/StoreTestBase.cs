namespace Ferry.Store.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// Gives each test a fresh, initialized store on <typeparamref name="TBackend"/>. Every test class is abstract over
/// the backend and has one concrete subclass per store (Sqlite…, Postgres…), so both run the same tests.
/// </summary>
public abstract class StoreTestBase<TBackend> : IAsyncLifetime
    where TBackend : StoreBackend, new()
{
    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    internal ManualTimeProvider Clock { get; } = new(T0);

    protected TBackend Backend { get; } = new();

    protected IControlPlaneStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Backend.CreateAsync();
        Store = Backend.Open(Clock);
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Backend.DisposeAsync();
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
