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
    string Message)
{
    /// <summary>
    /// The lines of one stored row: <paramref name="lineCount"/> lines joined by <c>\n</c> in <paramref name="message"/>,
    /// the last with id <paramref name="lastId"/> and each earlier one the id below. A row whose text does not split
    /// into that many lines is handed out whole, as one line with the row's id.
    /// </summary>
    public static IEnumerable<LogEntry> FromRow(
        long lastId, long appStageId, long revisionId, string function, string? requestId, string instanceId, DateTimeOffset time,
        LogStream stream, string message, int lineCount)
    {
        var lines = lineCount > 1 ? message.Split('\n') : null;
        if (lines is null || lines.Length != lineCount)
        {
            yield return new LogEntry(lastId, appStageId, revisionId, function, requestId, instanceId, time, stream, message);
            yield break;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            yield return new LogEntry(lastId - lines.Length + 1 + i, appStageId, revisionId, function, requestId, instanceId, time, stream, lines[i]);
        }
    }
}

public enum LogStream
{
    Stdout,
    Stderr,
    /// <summary>Lines Ferry writes: START, END, REPORT, and platform errors (crash, timeout).</summary>
    Platform,
}

/// <summary>
/// A log line before the store gives it an id; or, with <see cref="LineCount"/> above 1, several lines of one request
/// written at once (<see cref="Message"/> holds them joined by <c>\n</c>; made by <see cref="Lines"/>), which the store
/// keeps in one row and hands out as separate lines, each with an id of its own.
/// </summary>
public sealed record NewLogEntry(
    long AppStageId,
    long RevisionId,
    string Function,
    string? RequestId,
    string InstanceId,
    DateTimeOffset Time,
    LogStream Stream,
    string Message,
    int LineCount = 1)
{
    /// <summary>Lines of one request to be stored together; a line break inside one of them becomes a space.</summary>
    public static NewLogEntry Lines(
        long appStageId, long revisionId, string function, string? requestId, string instanceId, DateTimeOffset time, LogStream stream,
        IReadOnlyList<string> lines)
    {
        ArgumentOutOfRangeException.ThrowIfZero(lines.Count);
        var message = string.Join('\n', lines.Select(static line => line.ReplaceLineEndings(" ")));
        return new NewLogEntry(appStageId, revisionId, function, requestId, instanceId, time, stream, message, lines.Count);
    }

    /// <summary>
    /// This entry's lines as stored with <paramref name="lastId"/>, the id of its last line (a row's id), oldest first.
    /// </summary>
    public IEnumerable<LogEntry> Stored(long lastId) => LogEntry.FromRow(
        lastId, AppStageId, RevisionId, Function, RequestId, InstanceId, DateTimeOffset.FromUnixTimeMilliseconds(Time.ToUnixTimeMilliseconds()),
        Stream, Message, LineCount);
}

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
