namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Rewrites sandbox paths (/var/task, /opt/ferry, /tmp) to the host folders standing in for them, for running
/// without a sandbox. Only values that are such a path (or a ':'-separated list of paths) change.
/// </summary>
internal sealed class SandboxPathMap
{
    private readonly IReadOnlyList<(string SandboxPath, string HostPath)> _mappings;

    public SandboxPathMap(string codeDirectory, string runtimeDirectory, string tmpDirectory, IReadOnlyList<SandboxMount>? mounts = null)
    {
        _mappings = new[]
        {
            (SandboxPaths.Code, codeDirectory),
            (SandboxPaths.Runtime, runtimeDirectory),
            (SandboxPaths.Tmp, tmpDirectory),
        }.Concat((mounts ?? []).Select(m => (m.SandboxPath, m.HostPath)))
            .OrderByDescending(m => m.Item1.Length).ToList();
    }

    /// <summary>The host path for <paramref name="value"/> when it is a mapped path or below one; otherwise the value itself.</summary>
    public string MapPath(string value)
    {
        foreach (var (sandboxPath, hostPath) in _mappings)
        {
            if (BubblewrapCommandLine.TryRebase(value, sandboxPath, hostPath) is { } mapped)
            {
                return mapped;
            }
        }

        return value;
    }

    /// <summary>Maps every entry of a ':'-separated list (PATH, PYTHONPATH, NODE_PATH) and single paths alike.</summary>
    public string MapPathList(string value) =>
        value.Contains(':') ? string.Join(':', value.Split(':').Select(MapPath)) : MapPath(value);
}
