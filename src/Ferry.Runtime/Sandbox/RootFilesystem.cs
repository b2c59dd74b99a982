namespace Ferry.Runtime.Sandbox;

/// <summary>
/// A host folder used as a sandbox's whole root (an unpacked container image, see <see cref="SandboxSpec.RootFilesystem"/>).
/// It is mounted read-only, so bwrap can't create mount points in it: they are made once, when it is prepared.
/// Its symlinks are the image's, so they are resolved as the sandbox would see them, never on the host.
/// </summary>
internal static class RootFilesystem
{
    /// <summary>Folders bwrap mounts over: /proc, /dev, the private /tmp, Ferry's /run/ferry and /var/ferry.</summary>
    public static readonly IReadOnlyList<string> MountPoints = ["/proc", "/dev", SandboxPaths.Tmp, SandboxPaths.Bridges, SandboxPaths.Data];

    private const int MaxSymlinkHops = 40;

    /// <summary>
    /// Makes every <see cref="MountPoints"/> folder a real folder of <paramref name="root"/>: a symlink or file in
    /// the way is replaced (the root is Ferry's own copy), so no mount can land outside it.
    /// </summary>
    public static void Prepare(string root)
    {
        foreach (var mountPoint in MountPoints)
        {
            var current = root;
            foreach (var segment in mountPoint.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = Path.Combine(current, segment);
                var info = new FileInfo(current);
                if (info.LinkTarget is not null || (info.Exists && !info.Attributes.HasFlag(FileAttributes.Directory)))
                {
                    info.Delete();
                }

                if (!Directory.Exists(current) || new DirectoryInfo(current).LinkTarget is not null)
                {
                    Directory.CreateDirectory(current);
                }
            }
        }
    }

    /// <summary>Null when <paramref name="root"/> was prepared; else what is missing.</summary>
    public static string? FindProblem(string root)
    {
        if (!Path.IsPathFullyQualified(root) || !Directory.Exists(root))
        {
            return $"the root filesystem '{root}' does not exist or is not an absolute path";
        }

        foreach (var mountPoint in MountPoints)
        {
            var current = root;
            foreach (var segment in mountPoint.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = Path.Combine(current, segment);
                var info = new DirectoryInfo(current);
                if (!info.Exists || info.LinkTarget is not null)
                {
                    return $"the root filesystem '{root}' has no folder {mountPoint} to mount on; it must be prepared for sandboxes first";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The host path of <paramref name="path"/> (absolute, as seen in the sandbox) inside <paramref name="root"/>,
    /// following symlinks the way the sandbox would (absolute targets start again at the root, '..' stops at it);
    /// null when the path does not exist or loops.
    /// </summary>
    public static string? Resolve(string root, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        var hops = 0;
        while (pending.TryPop(out var segment))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var host = Path.Combine([root, .. resolved, segment]);
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxSymlinkHops)
                {
                    return null;
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(part);
                }

                continue;
            }

            if (!info.Exists && !Directory.Exists(host))
            {
                return null;
            }

            resolved.Add(segment);
        }

        return Path.Combine([root, .. resolved]);
    }
}
