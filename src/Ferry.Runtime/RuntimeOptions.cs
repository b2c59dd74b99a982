namespace Ferry.Runtime;

/// <summary>Knobs of the function runtime. Defaults are what a single-machine install wants.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Folder with Ferry's runtime loops (node/, python/); mounted read-only at /opt/ferry.</summary>
    public string RuntimeDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "runtime");

    /// <summary>How long an instance may stay idle before it is stopped (scale to zero).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether a deploy starts, before it switches traffic, as many instances of each function as the live revision
    /// runs (a warm switch); false: a new revision starts with no instances (<c>ferry server --cold-redeploys</c>).
    /// </summary>
    public bool WarmRedeploys { get; init; } = true;

    /// <summary>
    /// How long a redeploy takes to move the traffic of a function serving requests at the switch from the old revision
    /// to the new one, linearly (the new one's share grows from 0 to all of it); an idle app switches at once, as does
    /// any app with <see cref="TimeSpan.Zero"/>. The old revision drains after that.
    /// </summary>
    public TimeSpan RedeployTrafficShift { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether the Runtime API serves instances on the threads that watch its sockets instead of handing each step to
    /// the thread pool (Kestrel's <c>UnsafePreferInlineScheduling</c>): its handlers never block.
    /// </summary>
    public bool InlineIo { get; init; }

    /// <summary>Longest time an instance may take to become ready (first /next call, or its port answering).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of instances per function revision.</summary>
    public int MaxInstancesPerFunction { get; init; } = 10;

    /// <summary>
    /// Event-function instances a pool starts for waiting requests one per request (default: one per core). Beyond
    /// them, requests wait for a busy instance while the queue moves, and another instance starts only when the queue
    /// has stood still for as long as the function takes to start, or has not been empty for
    /// <see cref="SustainedQueueStarts"/> times that: a short burst is served sooner by the instances that are up than
    /// by more cold starts competing for the same cores, while sustained load and slow requests still scale out.
    /// </summary>
    public int EagerInstancesPerFunction { get; init; } = Environment.ProcessorCount;

    /// <summary>How many of the function's start times a queue must go without emptying before one more instance starts.</summary>
    public double SustainedQueueStarts { get; init; } = 4;

    /// <summary>
    /// Cores' worth of the machine's CPU that must have been idle lately (<see cref="Pooling.IMachineCpu"/>) for
    /// sustained load to start one more event-function instance; with less, the cores are the limit and the queue
    /// waits for the instances that are up. A queue that stands still still gets one (slow requests wait, not compute).
    /// </summary>
    public double ScaleOutIdleCores { get; init; } = 0.5;

    /// <summary>Requests that may wait for an instance per function revision; one more gets 503.</summary>
    public int QueueCapacityPerFunction { get; init; } = 100;

    /// <summary>Concurrent requests one web-function instance is given.</summary>
    public int WebConcurrencyPerInstance { get; init; } = 80;

    /// <summary>Largest event or response payload of an event function (Lambda's synchronous limit).</summary>
    public int MaxPayloadBytes { get; init; } = 6 * 1024 * 1024;

    /// <summary>
    /// Stem cells kept ready per runtime family (Node, Python) at the least: sandboxed runtime loops started before any
    /// function is known, which a cold start of a fitting event function takes over instead of starting a runtime from
    /// scratch. The pool grows above this floor with demand (<see cref="StemCellsMaxPerRuntime"/>). 0 turns them off.
    /// </summary>
    public int StemCellsPerRuntime { get; init; }

    /// <summary>
    /// Most stem cells one runtime family keeps when cold starts come in bursts (the floor
    /// <see cref="StemCellsPerRuntime"/> wins when it is higher). The default matches
    /// <see cref="MaxInstancesPerFunction"/>'s: a burst of one function to its maximum finds a cell for each instance.
    /// </summary>
    public int StemCellsMaxPerRuntime { get; init; } = 10;

    /// <summary>
    /// Memory all waiting stem cells together may take, MB: a cell above a family's floor is only started while the
    /// cells kept (each counted at the largest idle size seen for its family, node ≈ 45 MB, python ≈ 20 MB) stay within it.
    /// Floors are always kept.
    /// </summary>
    public int StemCellMemoryBudgetMb { get; init; } = 512;

    /// <summary>
    /// Stem cells started at the same time at most (all families together), so that refilling after a burst does not
    /// take every core from the burst it follows. Default: half the cores, at least 1.
    /// </summary>
    public int StemCellRefillConcurrency { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Time constant of "recent" cold starts (see <c>StemCellDemand</c>): a burst's cold starts count together when
    /// they come within about this long; a steady rate r keeps about r × this many cells.
    /// </summary>
    public TimeSpan StemCellDemandWindow { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How fast the pool forgets a burst: the demand it sized the pool for halves every this long without cold starts,
    /// and surplus cells are stopped as the target falls back to the floor.
    /// </summary>
    public TimeSpan StemCellDemandHalfLife { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Host folder for the stem cells' code folders; null: a private temp folder. Where a cell's code is linked in
    /// file by file (<see cref="StemCellCodeMounts"/> off or refused), on the file system of the extracted revisions
    /// it gets hard links instead of copies. Cell folders left in it by a server that did not stop cleanly are removed.
    /// </summary>
    public string? StemCellDirectory { get; init; }

    /// <summary>
    /// Whether a stem cell gets its function's code as one read-only bind mount (root only; see
    /// <c>CodeFolderMount</c>) rather than one hard link per file. Where mounting is refused, cells link anyway.
    /// </summary>
    public bool StemCellCodeMounts { get; init; } = true;

    /// <summary>
    /// How long after the latest cold start that wanted a stem cell replacements start: their starts (whole runtimes)
    /// should not compete for the CPU with the cold starts (a burst) that just took the cells.
    /// </summary>
    public TimeSpan StemCellRefillDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}
