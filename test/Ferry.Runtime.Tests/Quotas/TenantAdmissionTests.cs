using Ferry.Runtime.Quotas;

namespace Ferry.Runtime.Tests.Quotas;

public sealed class TenantAdmissionTests
{
    private sealed class FixedLimits(TenantLimits limits) : ITenantLimitSource
    {
        public TenantLimits Current { get; set; } = limits;

        public TenantLimits For(string tenant) => Current;
    }

    [Fact]
    public void Instances_and_memory_are_counted_per_tenant_and_given_back_on_release()
    {
        var admission = new TenantAdmission(new FixedLimits(new TenantLimits(MaxInstances: 2, MaxMemoryMb: 1024, MaxLogBytesPerDay: 0)));

        Assert.True(admission.TryAdmit("acme", 256, "a", out _));
        Assert.True(admission.TryAdmit("acme", 256, "b", out _));
        Assert.False(admission.TryAdmit("acme", 256, "c", out var instances));
        Assert.True(admission.TryAdmit("other", 1024, "x", out _));

        Assert.Equal(("instances", 2L, 2L, 429), (instances!.Quota, instances.Limit, instances.Used, instances.StatusCode));
        Assert.Contains("ferry tenant quota set acme --instances N", instances.Message);
        Assert.Equal(new TenantInstanceUsage(2, 512), admission.UsageOf("acme"));

        admission.Release("acme", 256);
        Assert.False(admission.TryAdmit("acme", 800, "big", out var memory));
        Assert.Equal(("memory", 1024L, 256L), (memory!.Quota, memory.Limit, memory.Used));
        Assert.True(admission.TryAdmit("acme", 768, "fits", out _));
        Assert.Equal(new TenantInstanceUsage(2, 1024), admission.UsageOf("acme"));
    }

    [Fact]
    public void A_tenant_over_its_storage_quota_gets_no_new_instance_with_507()
    {
        var limits = new FixedLimits(new TenantLimits(10, 10_000, 0, new StorageOverQuota(UsedBytes: 3 * 1024 * 1024, LimitBytes: 2 * 1024 * 1024)));
        var admission = new TenantAdmission(limits);

        Assert.False(admission.TryAdmit("acme", 128, "f", out var storage));

        Assert.Equal(("storage", 2L, 3L, 507), (storage!.Quota, storage.Limit, storage.Used, storage.StatusCode));
        limits.Current = limits.Current with { StorageOverQuota = null };
        Assert.True(admission.TryAdmit("acme", 128, "f", out _));
    }

    [Fact]
    public void Log_lines_past_the_daily_volume_are_dropped_after_one_marker_and_a_new_day_starts_over()
    {
        var limits = new FixedLimits(new TenantLimits(1, 1, MaxLogBytesPerDay: 100));
        var budget = new TenantLogBudget(limits);
        var day = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(LogAdmission.Store, budget.Admit("acme", 60, day));
        Assert.Equal(LogAdmission.DropWithMarker, budget.Admit("acme", 60, day));
        Assert.Equal(LogAdmission.Drop, budget.Admit("acme", 1, day));
        Assert.Equal(LogAdmission.Store, budget.Admit("other", 100, day));
        Assert.Equal(60, budget.BytesToday("acme", day));

        Assert.Equal(LogAdmission.Store, budget.Admit("acme", 60, day.AddHours(14)));

        // An admin raising the quota lets lines through again the same day.
        Assert.Equal(LogAdmission.DropWithMarker, budget.Admit("acme", 60, day.AddHours(15)));
        limits.Current = limits.Current with { MaxLogBytesPerDay = 1000 };
        Assert.Equal(LogAdmission.Store, budget.Admit("acme", 60, day.AddHours(15)));
    }
}
