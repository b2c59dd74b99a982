using System.Globalization;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>A code folder and a runtime folder on the host, and helpers to run a spec to its end.</summary>
internal sealed class SandboxTestFolders : IDisposable
{
    public const string CodeMarker = "code-marker";
    public const string RuntimeMarker = "runtime-marker";

    private static readonly Lazy<CgroupHost> SharedCgroups = new(() => CgroupHost.Detect(NullLogger.Instance));

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-sandbox-test-");

    public SandboxTestFolders()
    {
        // Sandboxes run as unprivileged users, and bwrap reaches the folders it mounts with that user's rights.
        File.SetUnixFileMode(Root, (UnixFileMode)0x1ED); // rwxr-xr-x
        Directory.CreateDirectory(CodeDirectory);
        Directory.CreateDirectory(RuntimeDirectory);
        File.WriteAllText(Path.Combine(CodeDirectory, "marker.txt"), CodeMarker);
        File.WriteAllText(Path.Combine(RuntimeDirectory, "marker.txt"), RuntimeMarker);
    }

    public static CgroupHost Cgroups => SharedCgroups.Value;

    public string Root => _root.FullName;

    public string CodeDirectory => Path.Combine(Root, "code");

    public string RuntimeDirectory => Path.Combine(Root, "runtime");

    public static BubblewrapSandbox CreateBubblewrap()
    {
        var bwrap = BubblewrapSandbox.TryFind();
        Assert.True(bwrap is not null, "These tests need bubblewrap: install it with `apt-get install bubblewrap`.");
        return new BubblewrapSandbox(bwrap, Cgroups, NullLogger.Instance);
    }

    public SandboxSpec Shell(string script, IReadOnlyDictionary<string, string>? environment = null, int memoryMb = 256) => new()
    {
        InstanceId = "test-" + Guid.NewGuid().ToString("N")[..12],
        CodeDirectory = CodeDirectory,
        RuntimeDirectory = RuntimeDirectory,
        Command = ["/bin/sh", "-c", script],
        Environment = environment ?? new Dictionary<string, string> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin" },
        MemoryMb = memoryMb,
        TmpSizeMb = 16,
    };

    public void Dispose() => _root.Delete(recursive: true);
}

internal sealed record SandboxRun(int ExitCode, IReadOnlyList<OutputLine> Lines, long? PeakMemoryBytes)
{
    public IReadOnlyList<string> Stdout => Lines.Where(l => !l.IsStderr).Select(l => l.Text).ToList();

    public IReadOnlyList<string> Stderr => Lines.Where(l => l.IsStderr).Select(l => l.Text).ToList();

    public static async Task<SandboxRun> RunAsync(ISandbox sandbox, SandboxSpec spec)
    {
        await using var process = await sandbox.StartAsync(spec, CancellationToken.None);
        var lines = new List<OutputLine>();
        await foreach (var line in process.Output.ReadAllAsync())
        {
            lines.Add(line);
        }

        var exitCode = await process.Exited;
        return new SandboxRun(exitCode, lines, process.PeakMemoryBytes());
    }
}

/// <summary>Host processes, seen through /proc.</summary>
internal static class HostProcesses
{
    /// <summary>All descendants of <paramref name="pid"/>, found through the parent pid in /proc/*/stat.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && ReadStat(child) is { } stat)
            {
                parents[child] = stat.ParentPid;
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>Gone, or a zombie nobody has reaped yet (it no longer runs either way).</summary>
    public static bool IsGone(int pid) => ReadStat(pid) is not { } stat || stat.State == 'Z';

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        try
        {
            // "pid (comm) state ppid …"; comm may contain spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
