namespace Ferry.Packaging.Frameworks;

/// <summary>Makes a cgroup for one build step, when this machine lets the CLI create cgroups (usually as root only).</summary>
public interface IBuildCgroups
{
    /// <summary>A fresh cgroup with <paramref name="limits"/>; null when none can be made (the rlimits still apply).</summary>
    Task<IBuildCgroup?> CreateAsync(BuildLimits limits, CancellationToken cancellationToken);
}

/// <summary>One build step's cgroup; disposing it kills what is left in it and removes it.</summary>
public interface IBuildCgroup : IAsyncDisposable
{
    /// <summary>The cgroup.procs files the step's first process writes its pid to before it runs anything else.</summary>
    IReadOnlyList<string> ProcsFiles { get; }
}
