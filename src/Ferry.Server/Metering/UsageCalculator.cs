using Ferry.Store;

namespace Ferry.Server.Metering;

/// <summary>Turns metered sums from the store into priced usage, exactly (decimal arithmetic, no rounding).</summary>
internal static class UsageCalculator
{
    /// <summary>MB·ms in one GB-second: 1024 MB × 1000 ms.</summary>
    private const decimal MbMillisecondsPerGbSecond = 1024m * 1000m;

    private const decimal RequestsPerPriceUnit = 1_000_000m;

    public static UsageAmount Price(long invocations, long billedDurationMs, long memoryMbMilliseconds, PriceTable prices)
    {
        // 1024 000 = 2^13 × 5^3, so the quotient terminates after at most 13 decimals: decimal holds it exactly.
        var gbSeconds = memoryMbMilliseconds / MbMillisecondsPerGbSecond;
        var requestCost = invocations * prices.PerMillionRequests / RequestsPerPriceUnit;
        var computeCost = gbSeconds * prices.PerGbSecond;
        return new UsageAmount(invocations, billedDurationMs, gbSeconds, requestCost, computeCost, requestCost + computeCost);
    }

    public static UsageReport Report(
        string tenant, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<FunctionUsage> rows, PriceTable prices)
    {
        var functions = rows
            .Select(row => new FunctionUsageInfo(row.Service, row.Stage, row.Region, row.Function,
                Price(row.Invocations, row.BilledDurationMs, row.MemoryMbMilliseconds, prices)))
            .ToList();

        var appStages = rows
            .GroupBy(row => (row.Service, row.Stage, row.Region))
            .Select(group => new AppStageUsageInfo(group.Key.Service, group.Key.Stage, group.Key.Region, Sum(group, prices)))
            .ToList();

        return new UsageReport(tenant, from, to, prices, Sum(rows, prices), appStages, functions);
    }

    private static UsageAmount Sum(IEnumerable<FunctionUsage> rows, PriceTable prices)
    {
        long invocations = 0, billedDurationMs = 0, memoryMbMilliseconds = 0;
        foreach (var row in rows)
        {
            invocations = checked(invocations + row.Invocations);
            billedDurationMs = checked(billedDurationMs + row.BilledDurationMs);
            memoryMbMilliseconds = checked(memoryMbMilliseconds + row.MemoryMbMilliseconds);
        }

        return Price(invocations, billedDurationMs, memoryMbMilliseconds, prices);
    }
}
