namespace Ferry.Store;

/// <summary>Where the runtime's log lines are stored (the store; a test may give a fake).</summary>
public interface ILogSink
{
    /// <summary>Appends a batch of log lines in one transaction; returns them with their ids (ascending).</summary>
    Task<IReadOnlyList<LogEntry>> AppendLogsAsync(IReadOnlyList<NewLogEntry> entries, CancellationToken cancellationToken);
}

/// <summary>Where the runtime's invocation records (metering, statistics) are stored.</summary>
public interface IInvocationSink
{
    /// <summary>Records a batch of invocations in one transaction.</summary>
    Task RecordInvocationsAsync(IReadOnlyList<InvocationRecord> invocations, CancellationToken cancellationToken);
}
