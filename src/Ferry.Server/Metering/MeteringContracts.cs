using Ferry.Store;

namespace Ferry.Server.Metering;

// The metering API's bodies (JSON through ApiJson.Options, like the rest of the API):
//
//   GET /api/v1/usage?from=ISO8601&to=ISO8601&tenant=T               -> UsageReport of the caller's tenant (tenant=:
//       admins only); the period is [from, to), by default the current calendar month (UTC)
//   GET /api/v1/apps/{service}/{stage}/errors?region=R&since=ISO8601&limit=N   -> ErrorReport; since defaults to 24 h ago
//   GET /metrics                                                      Prometheus text format (not under /api: no token)

/// <summary>Usage and cost of a tenant in a period, in total, per app stage and per function.</summary>
/// <param name="From">Start of the period (inclusive).</param>
/// <param name="To">End of the period (exclusive).</param>
public sealed record UsageReport(
    string Tenant,
    DateTimeOffset From,
    DateTimeOffset To,
    PriceTable Prices,
    UsageAmount Total,
    IReadOnlyList<AppStageUsageInfo> AppStages,
    IReadOnlyList<FunctionUsageInfo> Functions);

/// <summary>
/// Metered quantities and their price. <see cref="GbSeconds"/> is exact: Σ billed ms / 1000 × memory MB / 1024.
/// Costs are exact products of the quantities and the price table; round them only for display.
/// </summary>
public sealed record UsageAmount(
    long Invocations,
    long BilledDurationMs,
    decimal GbSeconds,
    decimal RequestCost,
    decimal ComputeCost,
    decimal Cost);

public sealed record AppStageUsageInfo(string Service, string Stage, string Region, UsageAmount Usage);

public sealed record FunctionUsageInfo(string Service, string Stage, string Region, string Function, UsageAmount Usage);

/// <summary>How an app stage's functions behaved in [<see cref="Since"/>, <see cref="Until"/>], and what failed most.</summary>
public sealed record ErrorReport(
    string Service,
    string Stage,
    string Region,
    DateTimeOffset Since,
    DateTimeOffset Until,
    IReadOnlyList<FunctionStatsInfo> Functions,
    IReadOnlyList<ErrorGroupInfo> Errors);

/// <param name="ErrorRate">Errors / invocations, 0 to 1 (0 without invocations).</param>
/// <param name="P50DurationMs">Null when the function was not invoked in the window.</param>
public sealed record FunctionStatsInfo(
    string Function,
    long Invocations,
    long Errors,
    double ErrorRate,
    long ColdStarts,
    double? P50DurationMs,
    double? P95DurationMs,
    double? MaxDurationMs);

/// <param name="LastRequestId">The request of the most recent occurrence (its logs tell the whole story).</param>
public sealed record ErrorGroupInfo(
    string Function,
    InvocationStatus Status,
    string? Error,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string LastRequestId);
