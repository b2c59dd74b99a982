namespace Ferry.Runtime;

/// <summary>Knobs of the function runtime. Defaults are what a single-machine install wants.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Folder with Ferry's runtime loops (node/, python/); mounted read-only at /opt/ferry.</summary>
    public string RuntimeDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "runtime");

    /// <summary>How long an instance may stay idle before it is stopped (scale to zero).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest time an instance may take to become ready (first /next call, or its port answering).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of instances per function revision.</summary>
    public int MaxInstancesPerFunction { get; init; } = 10;

    /// <summary>Requests that may wait for an instance per function revision; one more gets 503.</summary>
    public int QueueCapacityPerFunction { get; init; } = 100;

    /// <summary>Concurrent requests one web-function instance is given.</summary>
    public int WebConcurrencyPerInstance { get; init; } = 80;

    /// <summary>Largest event or response payload of an event function (Lambda's synchronous limit).</summary>
    public int MaxPayloadBytes { get; init; } = 6 * 1024 * 1024;

    /// <summary>
    /// Stem cells kept ready per runtime family (Node, Python): sandboxed runtime loops started before any function is
    /// known, which a cold start of a fitting event function takes over instead of starting a runtime from scratch.
    /// 0 turns them off.
    /// </summary>
    public int StemCellsPerRuntime { get; init; }

    /// <summary>
    /// Host folder for the stem cells' code folders; null: a private temp folder. On the file system of the extracted
    /// revisions, a cell's code folder is filled with hard links instead of copies.
    /// </summary>
    public string? StemCellDirectory { get; init; }

    /// <summary>
    /// How long after a stem cell was taken its replacement starts: the replacement's start (a whole runtime) should
    /// not compete for the CPU with the cold start that just took the cell.
    /// </summary>
    public TimeSpan StemCellRefillDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}
