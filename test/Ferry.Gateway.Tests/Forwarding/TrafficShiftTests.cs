using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Routing;
using Ferry.Runtime.Pooling;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Gateway.Tests.Forwarding;

public sealed class TrafficShiftTests
{
    private static readonly DeployedApp Previous = new("tenant", "shop", "dev", "local", 1, RouteTable.Build([]),
        new Dictionary<string, InstancePool>(StringComparer.Ordinal));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(250, 0.25)]
    [InlineData(500, 0.5)]
    [InlineData(999, 0.999)]
    [InlineData(1000, 1)]
    [InlineData(60_000, 1)]
    public void The_new_revisions_share_grows_linearly_over_the_shift_and_then_stays_whole(int elapsedMs, double share)
    {
        var time = new FakeTimeProvider();
        var shift = new TrafficShift(Previous, time, TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromMilliseconds(elapsedMs));

        Assert.Equal(share, shift.NewShare, 6);
    }

    [Fact]
    public void A_shift_of_no_time_gives_the_new_revision_everything_at_once()
    {
        var shift = new TrafficShift(Previous, new FakeTimeProvider(), TimeSpan.Zero);

        Assert.Equal(1, shift.NewShare);
    }
}
