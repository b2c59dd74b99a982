namespace Ferry.Store;

/// <summary>
/// Control-plane state. Implementations are safe to call concurrently. Every write that must be all-or-nothing
/// (a deploy, a removal) is one transaction.
/// </summary>
public interface IFerryStore : ILogSink, IInvocationSink, IAsyncDisposable
{
    /// <summary>Creates tables when missing and applies pending schema migrations.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<AppStage?> FindAppStageAsync(string tenant, string service, string stage, string region, CancellationToken cancellationToken);

    Task<AppStage?> GetAppStageAsync(long appStageId, CancellationToken cancellationToken);

    /// <summary>All app stages of a tenant (null: of every tenant), ordered by service, stage, region.</summary>
    Task<IReadOnlyList<AppStage>> ListAppStagesAsync(string? tenant, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: creates the app stage when it does not exist, adds a revision numbered one past the
    /// highest so far, and makes it the active revision.
    /// </summary>
    Task<(AppStage AppStage, Revision Revision)> AddRevisionAsync(
        string tenant, string service, string stage, string region,
        string artifactSha256, string manifestJson, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="AddRevisionAsync(string,string,string,string,string,string,CancellationToken)"/>, but leaves the
    /// active revision alone when <paramref name="activate"/> is false (an upgrade that is health-checked first).
    /// </summary>
    Task<(AppStage AppStage, Revision Revision)> AddRevisionAsync(
        string tenant, string service, string stage, string region,
        string artifactSha256, string manifestJson, bool activate, CancellationToken cancellationToken);

    /// <summary>Points the app stage at another of its revisions (rollback, upgrade switch).</summary>
    Task SetActiveRevisionAsync(long appStageId, long revisionId, CancellationToken cancellationToken);

    Task<Revision?> GetRevisionAsync(long revisionId, CancellationToken cancellationToken);

    /// <summary>Revisions of an app stage, newest first.</summary>
    Task<IReadOnlyList<Revision>> ListRevisionsAsync(long appStageId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the app stage with its revisions, logs and invocations, in one transaction that first keeps what metering
    /// needs of those invocations (see <see cref="QueryUsageAsync"/>). False when it did not exist.
    /// </summary>
    Task<bool> DeleteAppStageAsync(long appStageId, CancellationToken cancellationToken);

    /// <summary>Log lines matching the query, oldest first (by id).</summary>
    Task<IReadOnlyList<LogEntry>> QueryLogsAsync(LogQuery query, CancellationToken cancellationToken);

    /// <summary>Invocations of an app stage (optionally one function) that started at or after <paramref name="since"/>, newest first.</summary>
    Task<IReadOnlyList<InvocationRecord>> QueryInvocationsAsync(
        long appStageId, string? function, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Usage of a tenant (null: of every tenant) by invocations that started in [<paramref name="from"/>,
    /// <paramref name="to"/>), one row per app stage and function, ordered by service, stage, region, function.
    /// Invocations of app stages removed since still count: a tenant's usage of a period never shrinks.
    /// </summary>
    Task<IReadOnlyList<FunctionUsage>> QueryUsageAsync(
        string? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Per-function statistics of an app stage's invocations that started at or after <paramref name="since"/>, ordered by function.</summary>
    Task<IReadOnlyList<FunctionStats>> QueryFunctionStatsAsync(long appStageId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// Failed invocations of an app stage that started at or after <paramref name="since"/>, grouped by function,
    /// status and error text; the most frequent first (then the most recent), at most <paramref name="limit"/> groups.
    /// </summary>
    Task<IReadOnlyList<ErrorGroup>> QueryErrorGroupsAsync(long appStageId, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>Artifact hashes still referenced by some revision (for garbage collection of stored archives).</summary>
    Task<IReadOnlySet<string>> ListReferencedArtifactsAsync(CancellationToken cancellationToken);
}
