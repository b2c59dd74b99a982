using Ferry.Runtime.Instances;

namespace Ferry.Runtime.Tests.Instances;

public sealed class ReadinessPollIntervalTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(30, 1)]
    [InlineData(100, 2)]
    [InlineData(250, 5)]
    [InlineData(500, 10)]
    [InlineData(60_000, 10)]
    public void A_web_functions_readiness_is_checked_every_millisecond_at_first_and_less_often_as_its_start_takes_longer(int elapsedMs, double intervalMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(intervalMs), WebFunctionInstance.ReadinessPollInterval(TimeSpan.FromMilliseconds(elapsedMs)));
    }

    [Theory]
    [InlineData(0, 4, 1)]
    [InlineData(0, 10, 2.5)]
    [InlineData(0, 40, 10)]
    [InlineData(0, 400, 10)]
    [InlineData(250, 10, 5)]
    [InlineData(100, 12, 3)]
    public void During_a_burst_of_web_cold_starts_each_checks_less_often_so_that_together_they_stay_near_4000_checks_a_second(int elapsedMs, int startsPolling, double intervalMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(intervalMs), WebFunctionInstance.ReadinessPollInterval(TimeSpan.FromMilliseconds(elapsedMs), startsPolling));
    }
}
