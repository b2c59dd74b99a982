using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Runs each function in a bubblewrap (bwrap) sandbox inside its own cgroup. See
/// <see cref="BubblewrapCommandLine.Build"/> for what the sandbox sees. The network is shared with the host,
/// so web functions can listen on a port Ferry proxies to.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox
{
    private const string ExecutableName = "bwrap";

    /// <summary>Environment of bwrap itself (the sandbox gets only the spec's environment, via --clearenv).</summary>
    private static readonly IReadOnlyDictionary<string, string> LauncherEnvironment =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };

    private readonly string _bwrapPath;
    private readonly CgroupHost _cgroups;
    private readonly ILogger _logger;
    private readonly Lazy<string> _description;
    private readonly Lazy<IReadOnlyList<HostRootEntry>> _hostRoot = new(HostRootLayout.Inspect);

    public BubblewrapSandbox(string bwrapPath, CgroupHost cgroups, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(bwrapPath);
        _bwrapPath = bwrapPath;
        _cgroups = cgroups;
        _logger = logger;
        _description = new Lazy<string>(() => $"{ProbeVersion(bwrapPath)}, {cgroups.Description}");
    }

    /// <summary>E.g. "bubblewrap 0.8.0, cgroup v1 (memory, pids, cpu)".</summary>
    public string Description => _description.Value;

    /// <summary>The absolute path of bwrap on PATH, or null when it is not installed.</summary>
    public static string? TryFind()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            path = "/usr/local/bin:/usr/bin:/bin";
        }

        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(Path.IsPathFullyQualified)
            .Select(directory => Path.Combine(directory, ExecutableName))
            .FirstOrDefault(File.Exists);
    }

    public async Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        SandboxSpecValidator.Validate(spec);
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(_bwrapPath))
        {
            throw new SandboxStartException($"bubblewrap was not found at {_bwrapPath}; install it with `apt-get install bubblewrap`");
        }

        var hostRoot = _hostRoot.Value;
        var program = ExecutableResolver.Resolve(spec.Command[0], spec.Environment, path => BubblewrapCommandLine.ToHostPath(path, spec, hostRoot));
        var command = new HostCommand(_bwrapPath, BubblewrapCommandLine.Build(spec, program, hostRoot), LauncherEnvironment, "/");

        var cgroup = await _cgroups.CreateInstanceAsync(spec.InstanceId, CgroupLimits.ForMemory(spec.MemoryMb, Environment.ProcessorCount));
        var process = await SandboxProcessStarter.StartAsync(command, cgroup, _logger, cleanup: null);
        _logger.LogDebug("Started sandbox {InstanceId} (pid {Pid}): {Program}", spec.InstanceId, process.Pid, program);
        return process;
    }

    /// <summary>First line of `bwrap --version`, or a note on why it is unknown.</summary>
    private static string ProbeVersion(string bwrapPath)
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(bwrapPath, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var version = probe.StandardOutput.ReadLine()?.Trim();
            if (!probe.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                probe.Kill();
            }

            return string.IsNullOrEmpty(version) ? $"bubblewrap at {bwrapPath} (version unknown)" : version;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return $"bubblewrap at {bwrapPath} (not runnable: {ex.Message})";
        }
    }
}
