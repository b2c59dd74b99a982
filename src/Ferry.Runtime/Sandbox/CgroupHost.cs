using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Ferry's place in the host's cgroups: a <c>ferry</c> folder inside our own cgroup (or the controller's root
/// when ours is not writable) that holds one <c>ferry-&lt;instance&gt;</c> cgroup per sandbox; with cgroup v1 the
/// CPU controller's instance cgroups sit beside our own process instead (<see cref="BesideOurProcess"/>).
/// Whatever is missing (a controller, write access, cgroups at all) degrades with a reason in
/// <see cref="Description"/>; it never stops sandboxes from starting.
/// </summary>
public sealed class CgroupHost
{
    internal const string ParentFolderName = "ferry";
    internal const string InstanceFolderPrefix = "ferry-";

    private readonly IReadOnlyList<PreparedHierarchy> _hierarchies;
    private readonly ILogger _logger;

    private CgroupHost(CgroupVersion version, IReadOnlyList<PreparedHierarchy> hierarchies, IReadOnlyList<string> degradations, ILogger logger)
    {
        Version = version;
        _hierarchies = hierarchies;
        _logger = logger;
        Controllers = hierarchies.SelectMany(h => h.Controllers).ToHashSet(StringComparer.Ordinal);

        var controllers = CgroupDiscovery.UsedControllers.Where(Controllers.Contains).ToList();
        var summary = version switch
        {
            CgroupVersion.None => "no cgroups",
            _ when controllers.Count == 0 => $"cgroup {VersionName} (no controllers usable)",
            _ => $"cgroup {VersionName} ({string.Join(", ", controllers)})",
        };
        Description = degradations.Count == 0 ? summary : $"{summary}; {string.Join("; ", degradations)}";
    }

    public CgroupVersion Version { get; }

    /// <summary>The controllers Ferry can limit with (a subset of memory, pids, cpu).</summary>
    public IReadOnlySet<string> Controllers { get; }

    /// <summary>E.g. "cgroup v1 (memory, pids, cpu)", with the reason of anything that is missing.</summary>
    public string Description { get; }

    /// <summary>Whether sandboxes get a memory limit and a peak-memory reading.</summary>
    public bool LimitsMemory => Controllers.Contains("memory");

    private string VersionName => Version == CgroupVersion.V2 ? "v2" : "v1";

    /// <summary>Finds the cgroups of this machine and prepares Ferry's parent folder(s).</summary>
    public static CgroupHost Detect(ILogger logger)
    {
        string mountInfo, procSelfCgroup;
        try
        {
            mountInfo = File.ReadAllText("/proc/self/mountinfo");
            procSelfCgroup = File.ReadAllText("/proc/self/cgroup");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Disabled($"cannot read /proc/self/mountinfo or /proc/self/cgroup ({ex.Message})", logger);
        }

        var host = Prepare(CgroupDiscovery.Detect(mountInfo, procSelfCgroup), logger);
        logger.LogInformation("Sandbox resource limits: {Cgroups}", host.Description);
        return host;
    }

    /// <summary>A host that creates no cgroups: sandboxes run without memory, process or CPU limits.</summary>
    public static CgroupHost Disabled(string reason, ILogger logger) =>
        new(CgroupVersion.None, [], [$"{reason}: no memory, process or CPU limits"], logger);

    internal static CgroupHost Prepare(CgroupLayout layout, ILogger logger) => layout.Version switch
    {
        CgroupVersion.V1 => PrepareV1(layout, logger),
        CgroupVersion.V2 => PrepareV2(layout, logger),
        _ => Disabled(layout.Reason ?? "no cgroups", logger),
    };

    /// <summary>Creates the cgroup of one sandbox with its limits; null when no cgroup could be created.</summary>
    internal async Task<InstanceCgroup?> CreateInstanceAsync(string instanceId, CgroupLimits limits)
    {
        var directories = new List<string>();
        string? memoryDirectory = null;
        foreach (var hierarchy in _hierarchies)
        {
            var directory = Path.Combine(hierarchy.ParentDirectory, InstanceFolderPrefix + instanceId);
            if (Directory.Exists(directory))
            {
                // Left behind by a crashed server that used the same instance id: start clean.
                await new InstanceCgroup(Version, [directory], null, _logger).RemoveAsync();
            }

            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Could not create cgroup {Cgroup}; instance {InstanceId} runs without its {Controllers} limits",
                    directory, instanceId, string.Join(", ", hierarchy.Controllers));
                continue;
            }

            directories.Add(directory);
            foreach (var failure in ApplyLimits(directory, hierarchy.Controllers, limits))
            {
                _logger.LogWarning("cgroup limit not applied for instance {InstanceId}: {Failure}", instanceId, failure);
            }

            if (hierarchy.Controllers.Contains("memory"))
            {
                memoryDirectory = directory;
            }
        }

        return directories.Count == 0 ? null : new InstanceCgroup(Version, directories, memoryDirectory, _logger);
    }

    private IEnumerable<string> ApplyLimits(string directory, IReadOnlySet<string> controllers, CgroupLimits limits)
    {
        var writes = new List<(string File, string Value)>();
        if (controllers.Contains("memory"))
        {
            if (Version == CgroupVersion.V1)
            {
                // memsw (memory + swap) must never be below the memory limit, so it is written second.
                writes.Add(("memory.limit_in_bytes", limits.MemoryBytesText));
                writes.Add(("memory.memsw.limit_in_bytes", limits.MemoryBytesText));
            }
            else
            {
                writes.Add(("memory.max", limits.MemoryBytesText));
                writes.Add(("memory.swap.max", "0"));
            }
        }

        if (controllers.Contains("pids"))
        {
            writes.Add(("pids.max", limits.MaxProcesses.ToString(CultureInfo.InvariantCulture)));
        }

        if (controllers.Contains("cpu"))
        {
            var quota = limits.CpuQuotaMicroseconds.ToString(CultureInfo.InvariantCulture);
            var period = CgroupLimits.CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture);
            if (Version == CgroupVersion.V1)
            {
                writes.Add(("cpu.cfs_period_us", period));
                writes.Add(("cpu.cfs_quota_us", quota));
            }
            else
            {
                writes.Add(("cpu.max", $"{quota} {period}"));
            }
        }

        foreach (var (file, value) in writes)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                // Optional files (memsw without swap accounting, swap.max without swap) were reported by Prepare.
                continue;
            }

            if (CgroupFiles.TryWrite(path, value) is { } failure)
            {
                yield return failure;
            }
        }
    }

    private static CgroupHost PrepareV1(CgroupLayout layout, ILogger logger)
    {
        var prepared = new List<PreparedHierarchy>();
        var degradations = new List<string>();
        foreach (var hierarchy in layout.Hierarchies)
        {
            var controllers = CgroupDiscovery.UsedControllers.Where(hierarchy.Controllers.Contains).ToHashSet(StringComparer.Ordinal);
            var parent = TryCreateParent(hierarchy, out var failure);
            if (parent is null)
            {
                degradations.Add($"{string.Join(", ", controllers)} unavailable: {failure}");
                continue;
            }

            if (controllers.Contains("cpu"))
            {
                parent = BesideOurProcess(parent);
            }

            prepared.Add(new PreparedHierarchy(parent, controllers));
            if (controllers.Contains("memory") && !File.Exists(Path.Combine(parent, "memory.memsw.limit_in_bytes")))
            {
                degradations.Add("swap is not limited (no memory.memsw.limit_in_bytes; the kernel runs without swap accounting)");
            }
        }

        var missing = CgroupDiscovery.UsedControllers
            .Where(c => layout.Hierarchies.All(h => !h.Controllers.Contains(c)))
            .ToList();
        if (missing.Count > 0)
        {
            degradations.Add($"{string.Join(", ", missing)} not mounted");
        }

        return new CgroupHost(CgroupVersion.V1, prepared, degradations, logger);
    }

    private static CgroupHost PrepareV2(CgroupLayout layout, ILogger logger)
    {
        var hierarchy = layout.Hierarchies[0];
        var failures = new List<string>();
        PreparedHierarchy? chosen = null;

        // Our own cgroup holds our process, so the "no internal processes" rule usually forbids enabling
        // controllers for its children; the root is exempt from that rule, hence the second candidate.
        foreach (var candidate in new[] { hierarchy.OwnDirectory, hierarchy.MountPoint }.Distinct(StringComparer.Ordinal))
        {
            var parent = TryCreateParentIn(candidate, out var failure);
            if (parent is null)
            {
                failures.Add(failure!);
                continue;
            }

            EnableControllers(candidate);
            EnableControllers(parent);
            var enabled = CgroupFiles.ReadWords(Path.Combine(parent, "cgroup.subtree_control"));
            var prepared = new PreparedHierarchy(parent, CgroupDiscovery.UsedControllers.Where(enabled.Contains).ToHashSet(StringComparer.Ordinal));
            if (chosen is null || prepared.Controllers.Count > chosen.Controllers.Count)
            {
                chosen = prepared;
            }

            if (prepared.Controllers.Contains("memory"))
            {
                break;
            }
        }

        var degradations = new List<string>();
        if (chosen is null)
        {
            degradations.Add($"cannot create cgroups: {string.Join("; ", failures)}");
            return new CgroupHost(CgroupVersion.V2, [], degradations, logger);
        }

        var missing = CgroupDiscovery.UsedControllers.Where(c => !chosen.Controllers.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            degradations.Add($"{string.Join(", ", missing)} not enabled in {Path.Combine(chosen.ParentDirectory, "cgroup.subtree_control")}");
        }

        return new CgroupHost(CgroupVersion.V2, [chosen], degradations, logger);
    }

    /// <summary>Writes +controller to subtree_control for each used controller the folder offers; refusals are fine.</summary>
    private static void EnableControllers(string directory)
    {
        var available = CgroupFiles.ReadWords(Path.Combine(directory, "cgroup.controllers"));
        var subtreeControl = Path.Combine(directory, "cgroup.subtree_control");
        var enabled = CgroupFiles.ReadWords(subtreeControl);
        foreach (var controller in CgroupDiscovery.UsedControllers.Where(c => available.Contains(c) && !enabled.Contains(c)))
        {
            _ = CgroupFiles.TryWrite(subtreeControl, "+" + controller);
        }
    }

    /// <summary>
    /// Where cgroup v1's CPU controller gets its instance cgroups: the folder that holds <paramref name="ferryFolder"/>
    /// (our own cgroup, or the hierarchy's root when ours is not writable), so each instance is weighed by the
    /// scheduler like one more process beside the server's threads, and its CPU quota still applies. Inside one shared
    /// folder all instances had that folder's single weight, which the scheduler spreads over the cores by their
    /// recent load: under load an instance on a core where the folder's share was small waited behind the server's
    /// threads, and one instance after another answered 30–160 ms late in streaks (an event function's p99 at 8–10×
    /// its p50 and up to 300 ms; bench/README.md, issue 12, step 19). The folder, made to learn that we may create
    /// cgroups there, is removed again when empty.
    /// </summary>
    private static string BesideOurProcess(string ferryFolder)
    {
        try
        {
            Directory.Delete(ferryFolder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not empty (cgroups of an earlier server are still in it) or not ours to remove: harmless.
        }

        return Path.GetDirectoryName(ferryFolder)!;
    }

    private static string? TryCreateParent(CgroupHierarchy hierarchy, out string? failure)
    {
        var parent = TryCreateParentIn(hierarchy.OwnDirectory, out failure);
        if (parent is null && hierarchy.OwnDirectory != hierarchy.MountPoint)
        {
            var ownFailure = failure;
            parent = TryCreateParentIn(hierarchy.MountPoint, out var rootFailure);
            failure = parent is null ? $"{ownFailure}; {rootFailure}" : null;
        }

        return parent;
    }

    private static string? TryCreateParentIn(string directory, out string? failure)
    {
        var parent = Path.Combine(directory, ParentFolderName);
        try
        {
            Directory.CreateDirectory(parent);
            failure = null;
            return parent;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            failure = $"cannot create {parent} ({ex.Message})";
            return null;
        }
    }

    /// <summary>Ferry's parent folder in one hierarchy and the controllers its children get.</summary>
    private sealed record PreparedHierarchy(string ParentDirectory, IReadOnlySet<string> Controllers);
}
