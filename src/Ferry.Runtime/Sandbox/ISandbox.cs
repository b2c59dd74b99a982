using System.Threading.Channels;

namespace Ferry.Runtime.Sandbox;

/// <summary>What to run in a sandbox and with which limits.</summary>
public sealed record SandboxSpec
{
    /// <summary>Unique per instance; used to name its cgroup. Letters, digits and '-' only.</summary>
    public required string InstanceId { get; init; }

    /// <summary>
    /// The tenant whose code runs: each tenant's sandboxes run as a host user of their own (see
    /// <see cref="SandboxUsers"/>), and the sandbox's <see cref="Mounts"/> are given to that user. Null: a one-off
    /// user that no tenant has (stem cells, which become a function only later).
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>Host folder with the function's code, mounted read-only at <see cref="SandboxPaths.Code"/>.</summary>
    public required string CodeDirectory { get; init; }

    /// <summary>Host folder with Ferry's runtime loops, mounted read-only at <see cref="SandboxPaths.Runtime"/>.</summary>
    public required string RuntimeDirectory { get; init; }

    /// <summary>argv as seen inside the sandbox; argv[0] is resolved on the host's PATH when it is not absolute.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The whole environment of the process (nothing of Ferry's own environment leaks in).</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public int MemoryMb { get; init; } = 1024;

    /// <summary>Working directory inside the sandbox.</summary>
    public string WorkingDirectory { get; init; } = SandboxPaths.Code;

    /// <summary>Size of the private writable /tmp, MiB.</summary>
    public int TmpSizeMb { get; init; } = 512;

    /// <summary>Largest file the process may write (RLIMIT_FSIZE), MiB; a write past it fails with EFBIG.</summary>
    public int MaxFileSizeMb { get; init; } = 512;

    /// <summary>
    /// Whether the process shares the host's network and may open outbound connections. When false (the default)
    /// and <see cref="ISandbox.SupportsPrivateNetwork"/>, it gets a network namespace of its own with only a
    /// loopback interface: it can reach neither the internet nor other instances nor Ferry, except through
    /// <see cref="Bridges"/>.
    /// </summary>
    public bool AllowOutboundNetwork { get; init; }

    /// <summary>UNIX-socket links between a private network and the host; only valid with a private network.</summary>
    public SandboxBridges Bridges { get; init; } = SandboxBridges.None;

    /// <summary>
    /// Host folders the process may write (an app's SQLite databases), each at a path under <see cref="SandboxPaths.Data"/>.
    /// </summary>
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];

    /// <summary>
    /// A host folder (an unpacked container image, prepared by <c>RootFilesystem.Prepare</c>) that becomes the whole
    /// root of the sandbox, read-only, instead of the host's system: the process sees neither the host's /usr nor
    /// <see cref="CodeDirectory"/> nor <see cref="RuntimeDirectory"/>, only the image plus the private /tmp, /proc,
    /// /dev, the bridges' sockets and <see cref="Mounts"/>. Null: the usual view of the host's system. Needs
    /// <see cref="ISandbox.SupportsRootFilesystem"/>.
    /// </summary>
    public string? RootFilesystem { get; init; }
}

/// <summary>The host folder <paramref name="HostPath"/>, mounted read-write at <paramref name="SandboxPath"/>.</summary>
public sealed record SandboxMount(string HostPath, string SandboxPath);

/// <summary>Fixed paths inside every sandbox.</summary>
public static class SandboxPaths
{
    public const string Code = "/var/task";
    public const string Runtime = "/opt/ferry";
    public const string Tmp = "/tmp";

    /// <summary>Where the UNIX sockets of <see cref="SandboxBridges"/> appear.</summary>
    public const string Bridges = "/run/ferry";

    /// <summary>Where <see cref="SandboxSpec.Mounts"/> go: data an instance keeps beyond its own life.</summary>
    public const string Data = "/var/ferry";
}

public readonly record struct OutputLine(bool IsStderr, string Text, DateTimeOffset Time);

/// <summary>Starts processes in isolation. One implementation per mechanism (bubblewrap, none).</summary>
public interface ISandbox
{
    /// <summary>Short description for logs, e.g. "bubblewrap 0.8.0, cgroup v1 (memory, pids)".</summary>
    string Description { get; }

    /// <summary>
    /// Whether a spec without <see cref="SandboxSpec.AllowOutboundNetwork"/> gets a private network (and so needs
    /// <see cref="SandboxSpec.Bridges"/> to be reached). False: processes share the host's network.
    /// </summary>
    bool SupportsPrivateNetwork => false;

    /// <summary>Whether specs may set <see cref="SandboxSpec.RootFilesystem"/> (run a container image's rootfs).</summary>
    bool SupportsRootFilesystem => false;

    /// <summary>
    /// Lets sandboxes pass through <paramref name="directory"/> (a folder of Ferry's that holds what they mount, such as
    /// the data folder) while other local users still cannot: a no-op where sandboxes run as Ferry's own user.
    /// </summary>
    void AllowTraversal(string directory)
    {
    }

    /// <summary>Starts the process. Throws <see cref="SandboxStartException"/> with a clear message when it can't.</summary>
    Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken);
}

public interface ISandboxedProcess : IAsyncDisposable
{
    /// <summary>Host pid of the outermost process Ferry started.</summary>
    int Pid { get; }

    /// <summary>stdout and stderr, line by line, in arrival order; completes when both streams end.</summary>
    ChannelReader<OutputLine> Output { get; }

    /// <summary>Completes with the exit code when the process (and the sandbox) has exited.</summary>
    Task<int> Exited { get; }

    /// <summary>Peak memory of the whole sandbox in bytes, from the cgroup; null when no memory cgroup is available.</summary>
    long? PeakMemoryBytes();

    /// <summary>Kills everything in the sandbox and waits until it is gone. Safe to call more than once.</summary>
    Task KillAsync();

    /// <summary>
    /// How the sandbox's processes share contended cores with everything else (their CPU quota stays as it is). Without
    /// a CPU cgroup this does nothing.
    /// </summary>
    void SetCpuPriority(CpuPriority priority)
    {
    }
}

/// <summary>A sandbox's weight when cores are contended: its cgroup's <c>cpu.shares</c> (v1) or <c>cpu.weight</c> (v2).</summary>
public enum CpuPriority
{
    /// <summary>The kernel's default weight, the same as every other sandbox's.</summary>
    Normal,

    /// <summary>
    /// A thirty-second of it: work that may wait while others need the cores, such as a redeploy's new instances
    /// starting while the revision they replace serves the traffic.
    /// </summary>
    Background,
}

public sealed class SandboxStartException(string message, Exception? inner = null) : Exception(message, inner);
