using System.Diagnostics;
using Ferry.Runtime.Sandbox.Seccomp;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Runs each function in a bubblewrap (bwrap) sandbox inside its own cgroup, under a seccomp filter and a file-size
/// limit. See <see cref="BubblewrapCommandLine.Build"/> for what the sandbox sees. Unless a spec allows outbound
/// network, the sandbox has a network of its own, reached only through <see cref="SandboxSpec.Bridges"/>.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox, IDisposable
{
    private const string ExecutableName = "bwrap";
    private const string SocatName = "socat";
    internal const string SetprivPath = "/usr/bin/setpriv";

    /// <summary>Environment of bwrap itself (the sandbox gets only the spec's environment, via --clearenv).</summary>
    private static readonly IReadOnlyDictionary<string, string> LauncherEnvironment =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };

    private readonly string _bwrapPath;
    private readonly CgroupHost _cgroups;
    private readonly ILogger _logger;
    private readonly Lazy<string> _description;
    private readonly Lazy<IReadOnlyList<HostRootEntry>> _hostRoot = new(HostRootLayout.Inspect);

    /// <summary>Only sandboxes with their own root need them; inspected once, and a failure is retried on the next start.</summary>
    private readonly Lazy<HostTools> _hostTools = new(InspectHostTools, LazyThreadSafetyMode.PublicationOnly);
    private readonly SealedMemoryFile? _seccompFilter;
    private readonly string _seccompDescription;
    private readonly SandboxUsers _users;

    /// <param name="users">Which host user each sandbox runs as; null: per-tenant users kept in memory only.</param>
    /// <exception cref="SandboxStartException">The seccomp filter could not be prepared, or the server runs as root and setpriv is missing.</exception>
    public BubblewrapSandbox(string bwrapPath, CgroupHost cgroups, ILogger logger, SandboxUsers? users = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bwrapPath);
        _bwrapPath = bwrapPath;
        _cgroups = cgroups;
        _logger = logger;
        _users = users ?? new SandboxUsers();
        if (_users.SwitchesUsers && !File.Exists(SetprivPath))
        {
            // Fail closed: without it sandboxes would run as root.
            throw new SandboxStartException($"{SetprivPath} (util-linux), which starts each sandbox as an unprivileged user, is missing; install it with `apt-get install util-linux`");
        }

        if (SeccompFilter.ForCurrentArchitecture(out _seccompDescription) is { } program)
        {
            try
            {
                _seccompFilter = SealedMemoryFile.Create("ferry-seccomp", program);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                // Fail closed: a sandbox that silently lost its filter would be weaker than the one described.
                throw new SandboxStartException($"could not prepare the seccomp filter for bwrap: {ex.Message}", ex);
            }
        }
        else
        {
            _logger.LogWarning("Sandboxes run without a seccomp filter: {Reason}", _seccompDescription);
        }

        var identity = _users.SwitchesUsers
            ? $"user namespaces with a uid per tenant (from {_users.AccessGroupId + 1})"
            : $"user namespaces as the server's own uid {HostFileOwnership.EffectiveUserId}";
        _description = new Lazy<string>(() => $"{ProbeVersion(bwrapPath)}, {identity}, {_seccompDescription}, private network, {cgroups.Description}");
    }

    /// <summary>E.g. "bubblewrap 0.8.0, user namespaces with a uid per tenant (from 1500000001), seccomp (52 syscalls restricted, x86_64), private network, cgroup v1 (memory, pids, cpu)".</summary>
    public string Description => _description.Value;

    public bool SupportsPrivateNetwork => true;

    /// <summary>Which host user each sandbox runs as.</summary>
    public SandboxUsers Users => _users;

    public bool SupportsRootFilesystem => true;

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
        SandboxSpecValidator.Validate(spec, SupportsPrivateNetwork);
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(_bwrapPath))
        {
            throw new SandboxStartException($"bubblewrap was not found at {_bwrapPath}; install it with `apt-get install bubblewrap`");
        }

        var hostRoot = _hostRoot.Value;
        string? ToHostPath(string path) => BubblewrapCommandLine.ToHostPath(path, spec, hostRoot);
        if (spec.RootFilesystem is { } root)
        {
            ValidateRootFilesystem(root, spec.WorkingDirectory);
        }

        var program = ExecutableResolver.Resolve(spec.Command[0], spec.Environment, ToHostPath);
        IReadOnlyList<string> argv = [program, .. spec.Command.Skip(1)];
        if (!spec.Bridges.IsEmpty)
        {
            argv = spec.RootFilesystem is null
                ? BridgeLauncher.Wrap(spec.Bridges, ResolveSocat(ToHostPath), argv)
                : BridgeLauncher.Wrap(spec.Bridges, _hostTools.Value, argv);
        }

        var user = spec.Owner is { } owner ? _users.ForTenant(owner) : _users.OneOff();
        SandboxHostFiles.Prepare(spec, user, _users);
        var seccomp = _seccompFilter is null ? (int?)null : SandboxProcessStarter.InputFileDescriptor;

        // bwrap reads its options from standard input (--args 0), so the sandbox's pid 1 shows no host paths or
        // environment in its command line; its standard input then is at end-of-file, as before.
        var options = BubblewrapCommandLine.BuildOptions(spec, hostRoot, seccomp, user);
        var optionBytes = System.Text.Encoding.UTF8.GetBytes(string.Concat(options.Select(o => o + "\0")));
        IReadOnlyList<string> bwrapArguments = ["--args", "0", "--", .. argv];
        var command = _users.SwitchesUsers
            ? new HostCommand(SetprivPath, [.. SwitchUser(user), _bwrapPath, .. bwrapArguments], LauncherEnvironment, "/",
                spec.MaxFileSizeMb * 1024L * 1024L, _seccompFilter?.Path, optionBytes)
            : new HostCommand(_bwrapPath, bwrapArguments, LauncherEnvironment, "/",
                spec.MaxFileSizeMb * 1024L * 1024L, _seccompFilter?.Path, optionBytes);

        var cgroup = await _cgroups.CreateInstanceAsync(spec.InstanceId, CgroupLimits.ForMemory(spec.MemoryMb, Environment.ProcessorCount));
        var process = await SandboxProcessStarter.StartAsync(command, cgroup, _logger, cleanup: null);
        _logger.LogDebug("Started sandbox {InstanceId} (pid {Pid}): {Program}", spec.InstanceId, process.Pid, program);
        return process;
    }

    public void Dispose() => _seccompFilter?.Dispose();

    public void AllowTraversal(string directory)
    {
        if (_users.SwitchesUsers)
        {
            SandboxHostFiles.AllowTraversal(directory, _users.AccessGroupId);
        }
    }

    /// <summary>
    /// setpriv's options that make bwrap (and so the sandbox) run as <paramref name="user"/>, with only the access
    /// group as supplementary group and no capabilities, not even in its bounding set.
    /// </summary>
    private string[] SwitchUser(SandboxUser user) =>
    [
        "--reuid", user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--regid", user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--groups", _users.AccessGroupId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--inh-caps=-all", "--bounding-set=-all", "--",
    ];

    private static void ValidateRootFilesystem(string root, string workingDirectory)
    {
        if (RootFilesystem.FindProblem(root) is { } problem)
        {
            throw new SandboxStartException(problem);
        }

        if (RootFilesystem.Resolve(root, workingDirectory) is not { } directory || !Directory.Exists(directory))
        {
            throw new SandboxStartException($"the working directory '{workingDirectory}' does not exist in the image");
        }
    }

    /// <summary>sh, socat and sleep of the host, as a sandbox with its own root runs them.</summary>
    private static HostTools InspectHostTools()
    {
        string Host(string program) => ResolveOnHost(program, program == SocatName
            ? "socat, which connects a sandbox's private network to Ferry, is not installed; install it with `apt-get install socat`"
            : $"the host has no {program} on its system PATH, which the bridge of an image sandbox runs");
        return new HostTools(
            HostRootLayoutTools.Argv("/bin/sh"),
            HostRootLayoutTools.Argv(Host(SocatName)),
            HostRootLayoutTools.Argv(Host("sleep")));
    }

    private static string ResolveOnHost(string program, string missing)
    {
        try
        {
            return ExecutableResolver.Resolve(program, new Dictionary<string, string>(), path => path);
        }
        catch (SandboxStartException ex)
        {
            throw new SandboxStartException(missing, ex);
        }
    }

    /// <summary>socat, which bridges a private network to the host, as the sandbox sees it.</summary>
    private static string ResolveSocat(Func<string, string?> toHostPath)
    {
        try
        {
            return ExecutableResolver.Resolve(SocatName, new Dictionary<string, string>(), toHostPath);
        }
        catch (SandboxStartException ex)
        {
            throw new SandboxStartException(
                "socat, which connects a sandbox's private network to Ferry, is not installed; install it with `apt-get install socat`", ex);
        }
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
