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
    /// The bwrap argv (without bwrap itself). <paramref name="command"/> is the argv to run, as resolved inside the sandbox.
    /// The sandbox sees a read-only system (/usr and friends, selected /etc files), the code and runtime folders
    /// read-only, a private size-limited /tmp, and its own pid, IPC, UTS and cgroup namespaces, and unless the spec
    /// allows outbound network its own network namespace with the bridges' sockets; it keeps no capabilities, cannot
    /// gain privileges (bwrap sets no_new_privs), and with <paramref name="seccompDescriptor"/> runs under the seccomp
    /// filter bwrap reads from that descriptor.
    /// </summary>
    public static IReadOnlyList<string> Build(SandboxSpec spec, IReadOnlyList<string> command, IReadOnlyList<HostRootEntry> hostRoot, int? seccompDescriptor)
    {
        var args = new List<string>
        {
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", Hostname, "--cap-drop", "ALL",
        };

        if (!spec.AllowOutboundNetwork)
        {
            args.Add("--unshare-net");
        }

        if (seccompDescriptor is { } descriptor)
        {
            args.AddRange(["--seccomp", descriptor.ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["--ro-bind", "/usr", "/usr"]);

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
        foreach (var service in spec.Bridges.HostServices)
        {
            // connect(2) needs no write access to the mount, so a read-only bind keeps the socket file itself safe.
            args.AddRange(["--ro-bind", service.HostSocketPath, BridgeLauncher.HostServiceSocket(service)]);
        }

        if (spec.Bridges.PublishedPort is { } published)
        {
            args.AddRange(["--bind", Path.GetDirectoryName(published.HostSocketPath)!, BridgeLauncher.PublishedFolder]);
        }

        // Everything outside /tmp (and /dev) is read-only, including the skeleton bwrap builds the mounts in.
        args.AddRange(["--remount-ro", "/"]);
        args.AddRange(["--chdir", spec.WorkingDirectory, "--clearenv"]);
        foreach (var (name, value) in spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            args.AddRange(["--setenv", name, value]);
        }

        args.Add("--");
        args.AddRange(command);
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
