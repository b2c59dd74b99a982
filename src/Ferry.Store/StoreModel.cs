namespace Ferry.Store;

/// <summary>One deployment target: an app (serverless <c>service</c>) in a stage and region, owned by a tenant.</summary>
public sealed record AppStage(
    long Id,
    string Tenant,
    string Service,
    string Stage,
    string Region,
    long? ActiveRevisionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>An immutable deployed version of an app stage. <see cref="ManifestJson"/> is the resolved ServiceManifest.</summary>
public sealed record Revision(
    long Id,
    long AppStageId,
    int Number,
    string ArtifactSha256,
    string ManifestJson,
    DateTimeOffset CreatedAt);

/// <summary>One line an instance wrote (or a START/END/REPORT line Ferry wrote for it).</summary>
public sealed record LogEntry(
    long Id,
    long AppStageId,
    long RevisionId,
    string Function,
    string? RequestId,
    string InstanceId,
    DateTimeOffset Time,
    LogStream Stream,
    string Message);

public enum LogStream
{
    Stdout,
    Stderr,
    /// <summary>Lines Ferry writes: START, END, REPORT, and platform errors (crash, timeout).</summary>
    Platform,
}

/// <summary>A log line before the store gives it an id.</summary>
public sealed record NewLogEntry(
    long AppStageId,
    long RevisionId,
    string Function,
    string? RequestId,
    string InstanceId,
    DateTimeOffset Time,
    LogStream Stream,
    string Message);

public sealed record LogQuery(
    long AppStageId,
    string? Function = null,
    long? AfterId = null,
    DateTimeOffset? Since = null,
    string? Contains = null,
    int Limit = 1000);

/// <summary>One invocation, for metering, statistics and REPORT lines.</summary>
public sealed record InvocationRecord(
    string RequestId,
    string Tenant,
    long AppStageId,
    long RevisionId,
    string Function,
    DateTimeOffset Start,
    double DurationMs,
    long BilledDurationMs,
    int MemorySizeMb,
    int? MaxMemoryUsedMb,
    InvocationStatus Status,
    bool ColdStart,
    string? Error);

public enum InvocationStatus
{
    Success,
    /// <summary>The handler reported an error (Runtime API /error) or the web function answered 5xx.</summary>
    Error,
    /// <summary>The instance exited or failed to start.</summary>
    Crash,
    Timeout,
}
