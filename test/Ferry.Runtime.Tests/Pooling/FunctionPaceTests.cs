using Ferry.Runtime.Pooling;

namespace Ferry.Runtime.Tests.Pooling;

public sealed class FunctionPaceTests
{
    [Fact]
    public void Nothing_is_known_before_the_first_start_which_then_is_the_average()
    {
        var pace = new FunctionPace();
        Assert.Null(pace.Start);

        pace.RecordStart(TimeSpan.FromMilliseconds(80));
        Assert.Equal(TimeSpan.FromMilliseconds(80), pace.Start);
    }

    [Fact]
    public void Later_starts_move_the_average_three_tenths_of_the_way_towards_them()
    {
        var pace = new FunctionPace();
        pace.RecordStart(TimeSpan.FromMilliseconds(100));
        pace.RecordStart(TimeSpan.FromMilliseconds(0));
        Assert.Equal(70, pace.Start!.Value.TotalMilliseconds, precision: 6);
    }
}
