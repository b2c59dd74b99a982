using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>The bwrap arguments for a <see cref="SandboxSpec"/>, and what the resulting sandbox can see.</summary>
internal static class BubblewrapCommandLine
{
    public const string Hostname = "ferry";

    /// <summary>
    /// Pieces of /etc that programs need for the dynamic linker, DNS, TLS, users and time; bound only when the host has them.
    /// </summary>
    public static readonly IReadOnlyList<string> EtcEntries =
    [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
        "/etc/ssl", "/etc/ca-certificates", "/etc/pki",
        "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/gai.conf", "/etc/nsswitch.conf", "/etc/services", "/etc/protocols",
        "/etc/passwd", "/etc/group",
        "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/os-release",
    ];

    /// <summary>
    /// The bwrap argv (without bwrap itself). <paramref name="program"/> is argv[0] as resolved inside the sandbox.
    /// The sandbox sees a read-only system (/usr and friends, selected /etc files), the code and runtime folders
    /// read-only, a private size-limited /tmp, and its own pid, IPC, UTS and cgroup namespaces; it keeps no capabilities.
    /// </summary>
    public static IReadOnlyList<string> Build(SandboxSpec spec, string program, IReadOnlyList<HostRootEntry> hostRoot)
    {
        var args = new List<string>
        {
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", Hostname, "--cap-drop", "ALL",
            "--ro-bind", "/usr", "/usr",
        };

        foreach (var entry in hostRoot)
        {
            if (entry.SymlinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, entry.Path]);
            }
            else
            {
                args.AddRange(["--ro-bind", entry.Path, entry.Path]);
            }
        }

        foreach (var path in EtcEntries)
        {
            args.AddRange(["--ro-bind-try", path, path]);
        }

        args.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        var tmpBytes = spec.TmpSizeMb * 1024L * 1024L;
        args.AddRange(["--size", tmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", SandboxPaths.Tmp]);
        args.AddRange(["--ro-bind", spec.CodeDirectory, SandboxPaths.Code]);
        args.AddRange(["--ro-bind", spec.RuntimeDirectory, SandboxPaths.Runtime]);

        // Everything outside /tmp (and /dev) is read-only, including the skeleton bwrap builds the mounts in.
        args.AddRange(["--remount-ro", "/"]);
        args.AddRange(["--chdir", spec.WorkingDirectory, "--clearenv"]);
        foreach (var (name, value) in spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            args.AddRange(["--setenv", name, value]);
        }

        args.Add("--");
        args.Add(program);
        args.AddRange(spec.Command.Skip(1));
        return args;
    }

    /// <summary>The host file behind a path inside the sandbox, or null when the sandbox cannot see it.</summary>
    public static string? ToHostPath(string sandboxPath, SandboxSpec spec, IReadOnlyList<HostRootEntry> hostRoot)
    {
        if (TryRebase(sandboxPath, SandboxPaths.Code, spec.CodeDirectory) is { } code)
        {
            return code;
        }

        if (TryRebase(sandboxPath, SandboxPaths.Runtime, spec.RuntimeDirectory) is { } runtime)
        {
            return runtime;
        }

        var systemFolders = hostRoot.Select(e => e.Path).Prepend("/usr");
        return systemFolders.Any(folder => TryRebase(sandboxPath, folder, folder) is not null) ? sandboxPath : null;
    }

    /// <summary><paramref name="path"/> moved from under <paramref name="from"/> to under <paramref name="to"/>; null when not under it.</summary>
    internal static string? TryRebase(string path, string from, string to)
    {
        if (path == from)
        {
            return to;
        }

        return path.StartsWith(from + "/", StringComparison.Ordinal) ? to.TrimEnd('/') + path[from.Length..] : null;
    }
}
