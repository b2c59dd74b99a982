using System.Globalization;

namespace Ferry.Runtime.Pooling;

/// <summary>
/// How much of the machine's CPU has been idle lately. A pool asks before it adds an event-function instance for
/// sustained load: when every core is busy, one more instance only competes with the others (and with the gateway)
/// for the same cores, and its start costs what it was meant to win.
/// </summary>
public interface IMachineCpu
{
    /// <summary>Cores' worth of CPU left idle over the latest sample window (0 … the core count); null while unknown.</summary>
    double? IdleCores { get; }
}

/// <summary>
/// <see cref="IMachineCpu"/> from the <c>cpu</c> lines of <c>/proc/stat</c>, sampled on a timer: the share of idle
/// and iowait time in all the cores' time since the previous sample, times the cores the file lists. The machine's,
/// not this process's cgroup's: a server limited by a CPU quota of its own sees idle cores it cannot use, and then
/// scales out as it did before this check.
/// </summary>
public sealed class ProcStatMachineCpu : IMachineCpu, IDisposable
{
    /// <summary>How often the file is read; the idle share is that of the latest such window.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(250);

    private readonly string _path;
    private readonly ITimer? _timer;
    private readonly Lock _sampling = new();
    private CpuTimes? _previous;
    private double _idleCores = double.NaN;

    /// <summary>
    /// Starts sampling <paramref name="path"/>. Where it cannot be read or parsed (no /proc) nothing is sampled and
    /// <see cref="IdleCores"/> stays unknown, so pools scale as if CPU were idle.
    /// </summary>
    public ProcStatMachineCpu(TimeProvider time, string path = "/proc/stat")
    {
        _path = path;
        _previous = TryRead();
        if (_previous is not null)
        {
            _timer = time.CreateTimer(static state => ((ProcStatMachineCpu)state!).Sample(), this, SampleInterval, SampleInterval);
        }
    }

    public double? IdleCores => Volatile.Read(ref _idleCores) is var idle && double.IsNaN(idle) ? null : idle;

    private void Sample()
    {
        lock (_sampling) // a late tick may overlap the next one on a starved thread pool
        {
            if (TryRead() is not { } current)
            {
                return;
            }

            if (_previous is { } previous && Idle(previous, current) is { } idle)
            {
                Volatile.Write(ref _idleCores, idle);
            }

            _previous = current;
        }
    }

    private CpuTimes? TryRead()
    {
        try
        {
            // Only the leading cpu lines: the interrupt counters after them can be tens of kilobytes.
            return Parse(File.ReadLines(_path).TakeWhile(line => line.StartsWith("cpu", StringComparison.Ordinal)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Cores' worth of idle time between two readings; null when no time passed (or the counters went back).</summary>
    internal static double? Idle(CpuTimes earlier, CpuTimes later)
    {
        var total = later.Total - earlier.Total;
        var idle = later.Idle - earlier.Idle;
        if (total <= 0 || idle < 0)
        {
            return null;
        }

        return Math.Min(idle, total) / (double)total * later.Cores;
    }

    /// <summary>
    /// The aggregate <c>cpu</c> line of /proc/stat text (proc(5): user nice system idle iowait irq softirq steal …, in
    /// clock ticks; guest time is already inside user and nice) and the number of <c>cpuN</c> lines; null when the
    /// text has no such line.
    /// </summary>
    internal static CpuTimes? Parse(string procStat) => Parse(procStat.Split('\n'));

    private static CpuTimes? Parse(IEnumerable<string> lines)
    {
        CpuTimes? times = null;
        var cores = 0;
        foreach (var line in lines)
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5)
                {
                    return null;
                }

                long total = 0, idle = 0;
                for (var i = 1; i < fields.Length && i <= 8; i++)
                {
                    if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                    {
                        return null;
                    }

                    total += ticks;
                    if (i is 4 or 5)
                    {
                        idle += ticks; // idle and iowait: a core waiting for the disk could run an instance
                    }
                }

                times = new CpuTimes(total, idle, 0);
            }
            else if (line.Length > 3 && char.IsAsciiDigit(line[3]))
            {
                cores++;
            }
        }

        return times is { } found && cores > 0 ? found with { Cores = cores } : null;
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>Clock ticks since boot, all cores together, and how many cores.</summary>
    internal readonly record struct CpuTimes(long Total, long Idle, int Cores);
}
