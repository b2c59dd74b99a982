namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Resource limits of one sandboxed build step. The per-process ones are rlimits set with <c>prlimit</c> inside the
/// sandbox (every process of the build gets them); with a writable cgroup the whole build also shares a memory and
/// process limit.
/// </summary>
/// <param name="MemoryBytes">RLIMIT_DATA of each process, and the build's cgroup memory limit.</param>
/// <param name="MaxProcesses">RLIMIT_NPROC (processes and threads of the sandbox's user), and the cgroup's pids.max.</param>
/// <param name="CpuSeconds">RLIMIT_CPU: CPU time of each process.</param>
/// <param name="MaxFileBytes">RLIMIT_FSIZE: the largest file a build may write.</param>
/// <param name="TmpBytes">Size of the build's private /tmp (a tmpfs).</param>
/// <param name="MaxOutputBytes">Output (stdout and stderr together) beyond which the step is stopped.</param>
public sealed record BuildLimits(long MemoryBytes, int MaxProcesses, int CpuSeconds, long MaxFileBytes, long TmpBytes, long MaxOutputBytes)
{
    public static BuildLimits Default { get; } = new(
        MemoryBytes: 4L << 30,
        MaxProcesses: 1024,
        CpuSeconds: 30 * 60,
        MaxFileBytes: 2L << 30,
        TmpBytes: 1L << 30,
        MaxOutputBytes: 32L << 20);
}
