namespace Ferry.Runtime.Sandbox;

/// <summary>
/// A cgroup with limits for a process Ferry starts outside the function sandboxes (a build step of <c>ferry deploy</c>).
/// Disposing it kills what is left in it and removes it.
/// </summary>
public sealed class StandaloneCgroup : IAsyncDisposable
{
    private readonly InstanceCgroup _cgroup;

    private StandaloneCgroup(InstanceCgroup cgroup) => _cgroup = cgroup;

    /// <summary>The cgroup.procs files a process writes its pid to, to join this cgroup.</summary>
    public IReadOnlyList<string> ProcsFiles => _cgroup.ProcsFiles;

    /// <summary>A cgroup named <paramref name="name"/> where <paramref name="host"/> makes instance cgroups; null when none can be made.</summary>
    public static async Task<StandaloneCgroup?> TryCreateAsync(CgroupHost host, string name, CgroupLimits limits)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return await host.CreateInstanceAsync(name, limits) is { } cgroup ? new StandaloneCgroup(cgroup) : null;
    }

    public ValueTask DisposeAsync() => new(_cgroup.RemoveAsync());
}
