namespace Ferry.Store;

/// <summary>
/// What one function of one app stage consumed in a period: the inputs of a bill. Sums are exact integers, so
/// GB-seconds can be derived without rounding: <c>MemoryMbMilliseconds / (1024 × 1000)</c>.
/// </summary>
/// <param name="BilledDurationMs">Σ billed duration of the invocations, milliseconds.</param>
/// <param name="MemoryMbMilliseconds">Σ billed duration × configured memory size, MB·ms.</param>
public sealed record FunctionUsage(
    string Tenant,
    long AppStageId,
    string Service,
    string Stage,
    string Region,
    string Function,
    long Invocations,
    long BilledDurationMs,
    long MemoryMbMilliseconds);

/// <summary>How one function of an app stage behaved in a window of time.</summary>
/// <param name="Errors">Invocations that did not succeed (handler errors, crashes and timeouts).</param>
/// <param name="P50DurationMs">Median duration (nearest-rank).</param>
/// <param name="P95DurationMs">95th percentile duration (nearest-rank).</param>
public sealed record FunctionStats(
    string Function,
    long Invocations,
    long Errors,
    long ColdStarts,
    double P50DurationMs,
    double P95DurationMs,
    double MaxDurationMs);

/// <summary>Failed invocations of one function that share the same status and error text.</summary>
/// <param name="Error">The recorded error text; null when none was recorded.</param>
public sealed record ErrorGroup(
    string Function,
    InvocationStatus Status,
    string? Error,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string LastRequestId);
