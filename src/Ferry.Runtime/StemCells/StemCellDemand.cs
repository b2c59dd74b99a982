namespace Ferry.Runtime.StemCells;

/// <summary>
/// How many stem cells one runtime family should keep, from the cold starts that wanted one (taken or missed).
/// Two decaying measures, both on the <see cref="TimeProvider"/>'s clock:
/// <list type="bullet">
/// <item><b>recent</b>: the cold starts of the last few seconds, each counting <c>e^(-age / window)</c>. A burst of N
/// cold starts at once makes it ≈ N; a steady rate r makes it ≈ r × window, the cells that rate uses up while they are
/// being replaced.</item>
/// <item><b>level</b>: the highest <i>recent</i> seen, halving every <c>halfLife</c> afterwards: the pool stays sized for
/// the last burst for a while, then shrinks back to the floor when cold starts stop.</item>
/// </list>
/// The target is <c>⌈level⌉</c> clamped to <c>[floor, max]</c>. Not thread-safe: the pool calls it under its lock.
/// </summary>
internal sealed class StemCellDemand
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly TimeSpan _halfLife;
    private double _recent;
    private double _level;
    private long _updatedAt;

    public StemCellDemand(TimeProvider time, TimeSpan window, TimeSpan halfLife)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(halfLife, TimeSpan.Zero);
        _time = time;
        _window = window;
        _halfLife = halfLife;
        _updatedAt = time.GetTimestamp();
    }

    /// <summary>Cold starts that wanted a cell so far (taken or not), for diagnostics.</summary>
    public long Wanted { get; private set; }

    /// <summary>Counts one cold start that wanted a cell now.</summary>
    public void Record()
    {
        Decay();
        _recent += 1;
        _level = Math.Max(_level, _recent);
        Wanted++;
    }

    /// <summary>The decayed demand now (≥ 0); the target before rounding and clamping.</summary>
    public double Level()
    {
        Decay();
        return _level;
    }

    /// <summary>Cells to keep now: <c>⌈level⌉</c>, at least <paramref name="floor"/>, at most <paramref name="max"/>.</summary>
    public int Target(int floor, int max)
    {
        // A level a hair above an integer (floating-point dust after decay) does not ask for one more cell.
        var wanted = (int)Math.Min(int.MaxValue, Math.Ceiling(Level() - 1e-6));
        return Math.Clamp(wanted, floor, Math.Max(floor, max));
    }

    private void Decay()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_updatedAt, now);
        _updatedAt = now;
        if (elapsed <= TimeSpan.Zero)
        {
            return;
        }

        _recent *= Math.Exp(-elapsed / _window);
        _level *= Math.Pow(0.5, elapsed / _halfLife);
        if (_level < 1e-9)
        {
            _level = 0;
            _recent = 0;
        }
    }
}
