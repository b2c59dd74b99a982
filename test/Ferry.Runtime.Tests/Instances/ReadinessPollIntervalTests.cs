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
}
