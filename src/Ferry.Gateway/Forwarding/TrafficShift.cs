using Ferry.Runtime.Pooling;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// A redeploy's switch spread over <see cref="Duration"/>: a request for a function of the new revision goes to the
/// same function of <see cref="Previous"/> with a chance that falls from 1 to 0 over that time, so the new instances
/// (warm processes, but whose code has run no request yet) take the load step by step instead of all of it at once.
/// The previous revision drains once the shift is over.
/// </summary>
public sealed class TrafficShift(DeployedApp previous, TimeProvider time, TimeSpan duration)
{
    private readonly long _startedAt = time.GetTimestamp();

    /// <summary>The revision traffic moves away from.</summary>
    public DeployedApp Previous { get; } = previous;

    public TimeSpan Duration { get; } = duration;

    /// <summary>The share of requests the new revision gets now: 0 at the switch, 1 from <see cref="Duration"/> on.</summary>
    public double NewShare => Duration <= TimeSpan.Zero ? 1 : Math.Clamp(time.GetElapsedTime(_startedAt) / Duration, 0, 1);

    /// <summary>
    /// The previous revision's pool to serve a request for <paramref name="pool"/> (of the new revision) with, or null
    /// for the new one: drawn with <paramref name="sample"/> (uniform in [0, 1)) against <see cref="NewShare"/>. Only a
    /// function of the same name and kind whose pool still takes requests can serve it, and only with an instance that
    /// is free right now: the previous revision neither queues requests nor starts instances any more (the places of
    /// its instances in the tenant's quota are given back only when it drains).
    /// </summary>
    public InstancePool? PreviousPoolFor(InstancePool pool, double sample)
        => sample >= NewShare
           && Previous.Pools.TryGetValue(pool.Function.Name, out var previous)
           && previous.Function.Function.Kind == pool.Function.Function.Kind
           && previous.TakesRequests
           && previous.HasIdleSlot
            ? previous
            : null;
}
