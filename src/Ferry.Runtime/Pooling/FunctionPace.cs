using System.Collections.Concurrent;

namespace Ferry.Runtime.Pooling;

/// <summary>
/// How long one function's instances have recently taken to start, across its revisions: the time a pool measures its
/// queue against before it starts one more instance (<see cref="InstancePool"/>).
/// </summary>
public sealed class FunctionPace
{
    /// <summary>Weight of the newest start in the moving average.</summary>
    private const double Weight = 0.3;

    private readonly Lock _gate = new();
    private double _startSeconds = double.NaN;

    /// <summary>Average time an instance takes to start, or null before the first one started.</summary>
    public TimeSpan? Start
    {
        get
        {
            lock (_gate)
            {
                return double.IsNaN(_startSeconds) ? null : TimeSpan.FromSeconds(_startSeconds);
            }
        }
    }

    public void RecordStart(TimeSpan took)
    {
        var seconds = Math.Max(0, took.TotalSeconds);
        lock (_gate)
        {
            _startSeconds = double.IsNaN(_startSeconds) ? seconds : _startSeconds + (Weight * (seconds - _startSeconds));
        }
    }
}

/// <summary>The <see cref="FunctionPace"/> of every function of a server, kept across revisions (a new revision starts from its predecessor's pace).</summary>
public sealed class FunctionPaces
{
    private readonly ConcurrentDictionary<(string Tenant, long AppStageId, string Function), FunctionPace> _paces = new();

    public FunctionPace For(FunctionRevision function) =>
        _paces.GetOrAdd((function.Tenant, function.AppStageId, function.Name), static _ => new FunctionPace());
}
