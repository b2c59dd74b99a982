using Ferry.Runtime.Pooling;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Runtime.Tests.Pooling;

public sealed class ProcStatMachineCpuTests
{
    private const string TwoCores = """
        cpu  1000 50 400 8000 100 10 20 5 0 0
        cpu0 500 25 200 4000 50 5 10 3 0 0
        cpu1 500 25 200 4000 50 5 10 2 0 0
        intr 123456 0 0
        ctxt 987654
        """;

    [Fact]
    public void The_aggregate_line_gives_all_time_and_idle_plus_iowait_and_the_cpu_lines_the_cores()
    {
        var times = ProcStatMachineCpu.Parse(TwoCores)!.Value;
        Assert.Equal(1000 + 50 + 400 + 8000 + 100 + 10 + 20 + 5, times.Total); // guest and guest_nice are inside user and nice
        Assert.Equal(8000 + 100, times.Idle);
        Assert.Equal(2, times.Cores);
    }

    [Theory]
    [InlineData("")]
    [InlineData("intr 1 2 3\n")]
    [InlineData("cpu  1 2 x 4 5\ncpu0 1 2 3 4 5\n")]
    [InlineData("cpu  1 2 3 4 5\n")] // no per-core line: the core count is unknown
    public void Text_without_a_usable_cpu_line_is_not_parsed(string text) => Assert.Null(ProcStatMachineCpu.Parse(text));

    [Fact]
    public void Idle_cores_are_the_idle_share_of_the_time_between_two_readings_times_the_cores()
    {
        var earlier = new ProcStatMachineCpu.CpuTimes(Total: 10_000, Idle: 4_000, Cores: 2);
        Assert.Equal(0.5, ProcStatMachineCpu.Idle(earlier, earlier with { Total = 10_200, Idle = 4_050 })); // 50 of 200 ticks idle
        Assert.Equal(0.0, ProcStatMachineCpu.Idle(earlier, earlier with { Total = 10_200 }));
        Assert.Equal(2.0, ProcStatMachineCpu.Idle(earlier, earlier with { Total = 10_200, Idle = 4_200 }));
        Assert.Null(ProcStatMachineCpu.Idle(earlier, earlier)); // no time passed
        Assert.Null(ProcStatMachineCpu.Idle(earlier, earlier with { Total = 10_200, Idle = 3_000 })); // counters went back
    }

    [Fact]
    public void A_sampler_reads_the_file_on_its_timer_and_knows_nothing_before_its_first_interval()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "cpu  100 0 100 800 0 0 0 0\ncpu0 0\ncpu1 0\n");
            var time = new FakeTimeProvider();
            using var cpu = new ProcStatMachineCpu(time, file);
            Assert.Null(cpu.IdleCores);

            File.WriteAllText(file, "cpu  250 0 150 900 0 0 0 0\ncpu0 0\ncpu1 0\n"); // 300 ticks, 100 of them idle
            time.Advance(ProcStatMachineCpu.SampleInterval);
            Assert.Equal(2.0 / 3, cpu.IdleCores!.Value, precision: 6);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Without_a_readable_file_the_idle_cpu_stays_unknown()
    {
        var time = new FakeTimeProvider();
        using var cpu = new ProcStatMachineCpu(time, "/nonexistent/proc/stat");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(cpu.IdleCores);
    }
}
