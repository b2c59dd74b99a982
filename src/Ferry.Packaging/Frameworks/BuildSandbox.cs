using System.Globalization;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// How build steps are isolated: inside bubblewrap, the host's file system read-only except the app folder and the
/// build cache home, a private /tmp and /run, the host's network (installs reach the registry), no capabilities, no new
/// privileges, a scrubbed environment, rlimits, and a cgroup when one can be made.
/// </summary>
/// <param name="Bubblewrap">Path of bwrap.</param>
/// <param name="Prlimit">Path of prlimit (util-linux); null: the rlimits are not set.</param>
/// <param name="CacheHome">The build's writable HOME, kept between builds (npm, pip and composer caches live there).</param>
/// <param name="Environment">Variables the build sees (see <see cref="BuildEnvironment"/>); HOME and TMPDIR are set here.</param>
public sealed record BuildSandbox(string Bubblewrap, string? Prlimit, string CacheHome, IReadOnlyDictionary<string, string> Environment)
{
    public const string Hostname = "ferry-build";

    public BuildLimits Limits { get; init; } = BuildLimits.Default;

    /// <summary>Cgroups for a build-wide memory and process limit; null: rlimits only.</summary>
    public IBuildCgroups? Cgroups { get; init; }

    /// <summary>
    /// The argv that runs <paramref name="command"/> (already resolved to a path) in <paramref name="projectDirectory"/>
    /// inside the sandbox: bwrap's options, then prlimit's, then the command.
    /// </summary>
    public IReadOnlyList<string> CommandLine(string projectDirectory, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(projectDirectory);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("a build step needs a command", nameof(command));
        }

        var args = new List<string>
        {
            Bubblewrap,
            // Its own user namespace (the caller's ids, no other user, no nested namespaces) and no capabilities: even
            // a build started by root cannot remount what is read-only. bwrap sets no_new_privs itself.
            "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", Hostname,
            // The host's system as it is (compilers, node, python, pyenv or nvm under a home folder), read-only.
            "--ro-bind", "/", "/",
            "--dev", "/dev", "--proc", "/proc",
            "--size", Bytes(Limits.TmpBytes), "--tmpfs", "/tmp",
            // /run holds the host's service sockets (docker, dbus); only the resolver's folder comes back.
            "--tmpfs", "/run", "--ro-bind-try", "/run/systemd/resolve", "/run/systemd/resolve",
            "--bind", CacheHome, CacheHome,
            "--bind", projectDirectory, projectDirectory,
            "--chdir", projectDirectory,
            "--clearenv",
        };

        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Environment)
        {
            environment[name] = value;
        }

        environment["HOME"] = CacheHome;
        environment["TMPDIR"] = "/tmp";
        foreach (var (name, value) in environment)
        {
            args.AddRange(["--setenv", name, value]);
        }

        args.Add("--");
        if (Prlimit is not null)
        {
            args.AddRange(
            [
                Prlimit,
                "--data=" + Bytes(Limits.MemoryBytes),
                "--nproc=" + Limits.MaxProcesses.ToString(CultureInfo.InvariantCulture),
                "--cpu=" + Limits.CpuSeconds.ToString(CultureInfo.InvariantCulture),
                "--fsize=" + Bytes(Limits.MaxFileBytes),
                "--core=0",
                "--",
            ]);
        }

        args.AddRange(command);
        return args;
    }

    /// <summary>
    /// Whether a sandboxed step's failure is bwrap's, at start, on a host mount that went away while bwrap copied the
    /// mount tree (<c>bwrap: Unable to apply mount flags: remount "…": No such file or directory</c>): exit code 1 and
    /// nothing but bwrap's own lines, so nothing of the step ran and starting it again is safe.
    /// </summary>
    public static bool StartRacedWithUnmount(int exitCode, string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return exitCode == 1
            && lines.Length > 0
            && lines.All(line => line.StartsWith("bwrap: ", StringComparison.Ordinal))
            && lines.Any(line => line.Contains("mount", StringComparison.OrdinalIgnoreCase)
                && line.EndsWith("No such file or directory", StringComparison.Ordinal));
    }

    private static string Bytes(long value) => value.ToString(CultureInfo.InvariantCulture);
}
