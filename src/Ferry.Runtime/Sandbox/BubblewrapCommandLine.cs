using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>The bwrap arguments for a <see cref="SandboxSpec"/>, and what the resulting sandbox can see.</summary>
internal static class BubblewrapCommandLine
{
    public const string Hostname = "ferry";

    /// <summary>
    /// The AWS SDKs for Node.js that <c>scripts/setup.sh</c> installs (under /usr, which every sandbox sees). The
    /// sandbox links them as <c>/node_modules</c>, the last folder both CommonJS and ES module resolution look in from
    /// /var/task, so a function's own node_modules wins, as on Lambda.
    /// </summary>
    public const string NodeSdkModules = "/usr/local/lib/ferry/aws-sdk/node_modules";

    /// <summary>
    /// Pieces of /etc that programs need for the dynamic linker, DNS, TLS, users and time, and PHP's configuration
    /// (Debian loads PHP's extensions, mbstring, ctype, tokenizer, dom… which Laravel needs, through /etc/php/*/conf.d);
    /// bound read-only and only when the host has them.
    /// </summary>
    public static readonly IReadOnlyList<string> EtcEntries =
    [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
        "/etc/ssl", "/etc/ca-certificates", "/etc/pki",
        "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/gai.conf", "/etc/nsswitch.conf", "/etc/services", "/etc/protocols",
        "/etc/passwd", "/etc/group",
        "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/os-release",
        "/etc/php",
    ];

    /// <summary>
    /// The bwrap argv (without bwrap itself): <see cref="BuildOptions"/>, then "--" and <paramref name="command"/>, the
    /// argv to run as resolved inside the sandbox.
    /// </summary>
    public static IReadOnlyList<string> Build(SandboxSpec spec, IReadOnlyList<string> command, IReadOnlyList<HostRootEntry> hostRoot, int? seccompDescriptor,
        SandboxUser? user = null)
        => [.. BuildOptions(spec, hostRoot, seccompDescriptor, user), "--", .. command];

    /// <summary>
    /// bwrap's options for <paramref name="spec"/>. The sandbox sees a read-only system (/usr and friends, selected /etc
    /// files), the code and runtime folders read-only (or, with <see cref="SandboxSpec.RootFilesystem"/>, that folder
    /// read-only as its whole root), a private size-limited /tmp, /proc with /proc/sys read-only, and its own user,
    /// pid, IPC, UTS and cgroup namespaces, and unless the spec allows outbound network its own network namespace with
    /// the bridges' sockets. Its user namespace maps only <paramref name="user"/> (the same id inside and out; host
    /// root does not exist in it) and forbids creating further user namespaces; it keeps no capabilities, cannot gain
    /// privileges (bwrap sets no_new_privs; every mount is nosuid and nodev), and with
    /// <paramref name="seccompDescriptor"/> runs under the seccomp filter bwrap reads from that descriptor.
    /// </summary>
    /// <param name="user">The host user bwrap runs as; null: no user namespace (bwrap started by root keeps root).</param>
    public static IReadOnlyList<string> BuildOptions(SandboxSpec spec, IReadOnlyList<HostRootEntry> hostRoot, int? seccompDescriptor, SandboxUser? user)
    {
        var args = new List<string>
        {
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", Hostname, "--cap-drop", "ALL",
        };

        if (user is { } sandboxUser)
        {
            args.AddRange(["--unshare-user", "--disable-userns",
                "--uid", sandboxUser.Uid.ToString(CultureInfo.InvariantCulture), "--gid", sandboxUser.Gid.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!spec.AllowOutboundNetwork)
        {
            args.Add("--unshare-net");
        }

        if (seccompDescriptor is { } descriptor)
        {
            args.AddRange(["--seccomp", descriptor.ToString(CultureInfo.InvariantCulture)]);
        }

        if (spec.RootFilesystem is { } root)
        {
            AddImageRoot(args, spec, root, hostRoot);
        }
        else
        {
            AddHostSystem(args, spec, hostRoot);
        }

        args.AddRange(["--chdir", spec.WorkingDirectory, "--clearenv"]);
        foreach (var (name, value) in spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            args.AddRange(["--setenv", name, value]);
        }

        return args;
    }

    /// <summary>The usual view: the host's system read-only, with the code and runtime folders.</summary>
    private static void AddHostSystem(List<string> args, SandboxSpec spec, IReadOnlyList<HostRootEntry> hostRoot)
    {
        AddSystemFolders(args, "", hostRoot);
        foreach (var path in EtcEntries)
        {
            args.AddRange(["--ro-bind-try", path, path]);
        }

        AddPrivateFolders(args, spec);
        args.AddRange(["--ro-bind", spec.CodeDirectory, SandboxPaths.Code]);
        args.AddRange(["--ro-bind", spec.RuntimeDirectory, SandboxPaths.Runtime]);
        args.AddRange(["--symlink", NodeSdkModules, "/node_modules"]);
        AddBridges(args, spec);
        foreach (var mount in spec.Mounts)
        {
            args.AddRange(["--bind", mount.HostPath, mount.SandboxPath]);
        }

        // Everything outside /tmp, /dev and the mounts is read-only, including the skeleton bwrap builds the mounts in.
        args.AddRange(["--remount-ro", "/"]);
    }

    /// <summary>
    /// A container image's view: its rootfs read-only as /, nothing of the host but the bridges and, under
    /// /run/ferry/system, the host's system folders the bridge tools run from. The rootfs is read-only from the
    /// start, so mounts go on folders <see cref="RootFilesystem.Prepare"/> made: /run/ferry and /var/ferry become small
    /// tmpfs skeletons for the sockets and data mounts, made read-only again once those are in place.
    /// </summary>
    private static void AddImageRoot(List<string> args, SandboxSpec spec, string root, IReadOnlyList<HostRootEntry> hostRoot)
    {
        args.AddRange(["--ro-bind", root, "/"]);
        AddPrivateFolders(args, spec);
        args.AddRange(["--size", SkeletonBytes, "--tmpfs", SandboxPaths.Bridges]);
        if (!spec.Bridges.IsEmpty)
        {
            AddSystemFolders(args, HostRootLayout.SystemMount, hostRoot);
        }

        AddBridges(args, spec);
        args.AddRange(["--remount-ro", SandboxPaths.Bridges]);
        if (spec.Mounts.Count > 0)
        {
            args.AddRange(["--size", SkeletonBytes, "--tmpfs", SandboxPaths.Data]);
            foreach (var mount in spec.Mounts)
            {
                args.AddRange(["--bind", mount.HostPath, mount.SandboxPath]);
            }

            args.AddRange(["--remount-ro", SandboxPaths.Data]);
        }
    }

    /// <summary>Size of a tmpfs that only holds mount points.</summary>
    private const string SkeletonBytes = "65536";

    /// <summary>The host's /usr and top-level system folders, read-only, under <paramref name="prefix"/> ("" for their own places).</summary>
    private static void AddSystemFolders(List<string> args, string prefix, IReadOnlyList<HostRootEntry> hostRoot)
    {
        args.AddRange(["--ro-bind", "/usr", prefix + "/usr"]);
        foreach (var entry in hostRoot)
        {
            if (entry.SymlinkTarget is { } target)
            {
                // Merged-/usr links are relative ("usr/lib"), so they resolve under the prefix too.
                args.AddRange(["--symlink", target, prefix + entry.Path]);
            }
            else
            {
                args.AddRange(["--ro-bind", entry.Path, prefix + entry.Path]);
            }
        }
    }

    private static void AddPrivateFolders(List<string> args, SandboxSpec spec)
    {
        // sysctls are writable by host root only; with no host root in the namespace they are not writable anyway, and
        // a read-only mount keeps it so whatever the permission checks of a kernel are.
        args.AddRange(["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]);
        var tmpBytes = spec.TmpSizeMb * 1024L * 1024L;
        args.AddRange(["--size", tmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", SandboxPaths.Tmp]);
    }

    private static void AddBridges(List<string> args, SandboxSpec spec)
    {
        foreach (var service in spec.Bridges.HostServices)
        {
            // connect(2) needs no write access to the mount, so a read-only bind keeps the socket file itself safe.
            args.AddRange(["--ro-bind", service.HostSocketPath, BridgeLauncher.HostServiceSocket(service)]);
        }

        if (spec.Bridges.PublishedPort is { } published)
        {
            args.AddRange(["--bind", Path.GetDirectoryName(published.HostSocketPath)!, BridgeLauncher.PublishedFolder]);
        }
    }

    /// <summary>The host file behind a path inside the sandbox, or null when the sandbox cannot see it.</summary>
    public static string? ToHostPath(string sandboxPath, SandboxSpec spec, IReadOnlyList<HostRootEntry> hostRoot)
    {
        foreach (var mount in spec.Mounts)
        {
            if (TryRebase(sandboxPath, mount.SandboxPath, mount.HostPath) is { } mounted)
            {
                return mounted;
            }
        }

        if (spec.RootFilesystem is { } root)
        {
            return TryRebase(sandboxPath, SandboxPaths.Bridges, "/") is null && TryRebase(sandboxPath, SandboxPaths.Tmp, "/") is null
                ? RootFilesystem.Resolve(root, sandboxPath)
                : null;
        }

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
