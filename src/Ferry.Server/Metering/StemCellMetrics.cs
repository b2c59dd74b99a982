using Ferry.Runtime.StemCells;
using Prometheus;

namespace Ferry.Server.Metering;

/// <summary>
/// Prometheus series of the stem cell pool per runtime family, read from the pool at each scrape: cells waiting and
/// starting, the target demand sized the pool to, and how many cold starts took a cell or found none.
/// </summary>
internal sealed class StemCellMetrics
{
    private readonly StemCellPool _pool;
    private readonly Gauge _cells;
    private readonly Gauge _target;
    private readonly Counter _taken;
    private readonly Counter _missed;
    private readonly Counter _stopped;

    public StemCellMetrics(CollectorRegistry registry, StemCellPool pool)
    {
        _pool = pool;
        var metrics = Metrics.WithCustomRegistry(registry);
        _cells = metrics.CreateGauge("ferry_stem_cells", "Stem cells per runtime family, by state (ready: waiting to be taken; starting).", "runtime", "state");
        _target = metrics.CreateGauge("ferry_stem_cells_target", "Stem cells each runtime family should have now, from recent cold starts.", "runtime");
        _taken = metrics.CreateCounter("ferry_stem_cells_taken_total", "Cold starts that took over a stem cell.", "runtime");
        _missed = metrics.CreateCounter("ferry_stem_cell_misses_total", "Cold starts that fit a stem cell but found none waiting.", "runtime");
        _stopped = metrics.CreateCounter("ferry_stem_cells_stopped_total", "Waiting stem cells stopped because demand fell.", "runtime");
        registry.AddBeforeCollectCallback(Update);
    }

    private void Update()
    {
        if (!_pool.Enabled)
        {
            return;
        }

        foreach (var family in StemCellFamily.All)
        {
            var stats = _pool.Stats(family);
            _cells.WithLabels(family.Name, "ready").Set(stats.Ready);
            _cells.WithLabels(family.Name, "starting").Set(stats.Starting);
            _target.WithLabels(family.Name).Set(stats.Target);
            _taken.WithLabels(family.Name).IncTo(stats.Taken);
            _missed.WithLabels(family.Name).IncTo(stats.Missed);
            _stopped.WithLabels(family.Name).IncTo(stats.Stopped);
        }
    }
}
