using Ferry.Runtime.StemCells;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>The sizing policy of the stem cell pool: bursts raise the target, steady rates keep it small, idleness decays it.</summary>
public sealed class StemCellDemandTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HalfLife = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _time = new();

    private StemCellDemand NewDemand() => new(_time, Window, HalfLife);

    [Fact]
    public void Without_cold_starts_the_target_is_the_floor()
    {
        var demand = NewDemand();

        Assert.Equal(1, demand.Target(floor: 1, max: 10));
        Assert.Equal(3, demand.Target(floor: 3, max: 10));
        Assert.Equal(0, demand.Level());
    }

    [Fact]
    public void A_burst_of_cold_starts_asks_for_a_cell_each_up_to_the_maximum()
    {
        var demand = NewDemand();
        for (var i = 0; i < 7; i++)
        {
            demand.Record();
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(7, demand.Target(floor: 1, max: 10));
        Assert.Equal(4, demand.Target(floor: 1, max: 4));
        Assert.Equal(7, demand.Wanted);
    }

    [Fact]
    public void The_target_halves_every_half_life_without_cold_starts_and_returns_to_the_floor()
    {
        var demand = NewDemand();
        for (var i = 0; i < 8; i++)
        {
            demand.Record();
        }

        Assert.Equal(8, demand.Target(1, 10));
        _time.Advance(HalfLife);
        Assert.Equal(4, demand.Target(1, 10));
        _time.Advance(HalfLife);
        Assert.Equal(2, demand.Target(1, 10));
        _time.Advance(HalfLife * 10);
        Assert.Equal(1, demand.Target(1, 10));
    }

    [Fact]
    public void A_steady_rate_keeps_about_rate_times_window_cells_not_the_count_of_the_whole_period()
    {
        var demand = NewDemand();
        for (var second = 0; second < 120; second++)
        {
            demand.Record();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // One cold start a second, window 2 s: 1 / (1 - e^-0.5) ≈ 2.5 at the moment of a cold start.
        Assert.Equal(3, demand.Target(1, 10));
    }

    [Fact]
    public void A_later_burst_raises_a_decayed_target_again()
    {
        var demand = NewDemand();
        demand.Record();
        demand.Record();
        _time.Advance(HalfLife * 5);
        Assert.Equal(1, demand.Target(1, 10));

        for (var i = 0; i < 5; i++)
        {
            demand.Record();
        }

        Assert.Equal(5, demand.Target(1, 10));
    }
}
