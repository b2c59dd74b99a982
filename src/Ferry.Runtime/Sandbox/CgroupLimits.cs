using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>Resource limits of one sandbox's cgroup.</summary>
/// <param name="MemoryBytes">Hard memory limit; swap is not allowed on top of it.</param>
/// <param name="MaxProcesses">Upper bound of processes and threads (pids.max), a fork-bomb guard.</param>
/// <param name="Vcpus">CPU time in units of one core.</param>
public sealed record CgroupLimits(long MemoryBytes, int MaxProcesses, double Vcpus)
{
    public const int DefaultMaxProcesses = 512;

    /// <summary>Like AWS Lambda, CPU grows with memory: 1,769 MB buys one full vCPU.</summary>
    public const double MegabytesPerVcpu = 1769;

    /// <summary>
    /// Floor of the CPU share. Lambda gives a 128 MB function about 0.07 vCPU; we keep a quarter core so that
    /// the smallest functions still start an interpreter in well under a second.
    /// </summary>
    public const double MinimumVcpus = 0.25;

    /// <summary>CFS period used for the quota (the kernel default, 100 ms).</summary>
    public const int CpuPeriodMicroseconds = 100_000;

    /// <summary>Limits for a function of <paramref name="memoryMb"/> MiB on a host with <paramref name="processorCount"/> cores.</summary>
    public static CgroupLimits ForMemory(int memoryMb, int processorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryMb);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(processorCount);
        var vcpus = Math.Clamp(memoryMb / MegabytesPerVcpu, Math.Min(MinimumVcpus, processorCount), processorCount);
        return new CgroupLimits(memoryMb * 1024L * 1024L, DefaultMaxProcesses, vcpus);
    }

    /// <summary>The CFS quota in microseconds per <see cref="CpuPeriodMicroseconds"/>.</summary>
    public long CpuQuotaMicroseconds => Math.Max(1000, (long)Math.Round(Vcpus * CpuPeriodMicroseconds));

    internal string MemoryBytesText => MemoryBytes.ToString(CultureInfo.InvariantCulture);
}
