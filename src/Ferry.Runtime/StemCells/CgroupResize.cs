using System.Globalization;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// Gives a running sandbox's cgroup the memory limit and CPU quota of another memory size (a stem cell becoming a
/// function), in whichever hierarchies it has: the control files present tell v1 from v2.
/// </summary>
internal static class CgroupResize
{
    /// <summary>Applies <paramref name="limits"/>' memory and CPU; returns one message per refused write.</summary>
    public static IReadOnlyList<string> Apply(InstanceCgroup cgroup, CgroupLimits limits)
    {
        var failures = new List<string>();
        foreach (var directory in cgroup.Directories)
        {
            foreach (var (file, value) in Writes(directory, limits))
            {
                if (CgroupFiles.TryWrite(Path.Combine(directory, file), value) is { } failure)
                {
                    failures.Add(failure);
                }
            }
        }

        return failures;
    }

    private static IEnumerable<(string File, string Value)> Writes(string directory, CgroupLimits limits)
    {
        bool Has(string file) => File.Exists(Path.Combine(directory, file));
        var memory = limits.MemoryBytesText;
        if (Has("memory.max"))
        {
            yield return ("memory.max", memory);
        }
        else if (Has("memory.limit_in_bytes"))
        {
            // v1 refuses a memory limit above memory+swap: lowering goes memory first, raising memsw first.
            var lowering = CgroupFiles.TryReadInt64(Path.Combine(directory, "memory.limit_in_bytes")) is { } current && limits.MemoryBytes < current;
            var withSwap = Has("memory.memsw.limit_in_bytes");
            if (!lowering && withSwap)
            {
                yield return ("memory.memsw.limit_in_bytes", memory);
            }

            yield return ("memory.limit_in_bytes", memory);
            if (lowering && withSwap)
            {
                yield return ("memory.memsw.limit_in_bytes", memory);
            }
        }

        var quota = limits.CpuQuotaMicroseconds.ToString(CultureInfo.InvariantCulture);
        if (Has("cpu.max"))
        {
            yield return ("cpu.max", $"{quota} {CgroupLimits.CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (Has("cpu.cfs_quota_us"))
        {
            yield return ("cpu.cfs_quota_us", quota);
        }
    }
}
