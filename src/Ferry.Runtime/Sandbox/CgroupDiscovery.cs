using System.Text;

namespace Ferry.Runtime.Sandbox;

public enum CgroupVersion
{
    /// <summary>No usable cgroup file system: sandboxes run without resource limits.</summary>
    None,

    /// <summary>One hierarchy per controller (memory, pids, cpu …), possibly next to an empty cgroup2 ("hybrid").</summary>
    V1,

    /// <summary>The unified hierarchy.</summary>
    V2,
}

/// <summary>One cgroup file system mount, from a line of /proc/self/mountinfo.</summary>
/// <param name="Root">Folder of the hierarchy that is mounted (usually "/", a sub-folder inside some containers).</param>
/// <param name="Controllers">Controllers bound to a v1 hierarchy (from its super options); empty for cgroup2.</param>
internal sealed record CgroupMount(string MountPoint, string Root, bool IsUnified, IReadOnlySet<string> Controllers);

/// <summary>One line of /proc/self/cgroup: the cgroup of this process in one hierarchy.</summary>
/// <param name="Controllers">Controllers of a v1 hierarchy; empty for the unified hierarchy ("0::/path").</param>
internal sealed record CgroupMembership(string HierarchyId, IReadOnlySet<string> Controllers, string Path);

/// <summary>A hierarchy Ferry may create cgroups in.</summary>
/// <param name="OwnDirectory">Host folder of the cgroup this process sits in.</param>
/// <param name="Controllers">Controllers of a v1 hierarchy; empty for v2 (read from cgroup.controllers at run time).</param>
internal sealed record CgroupHierarchy(string MountPoint, string OwnDirectory, IReadOnlySet<string> Controllers);

/// <param name="Reason">Why nothing is usable, when <paramref name="Version"/> is <see cref="CgroupVersion.None"/>.</param>
internal sealed record CgroupLayout(CgroupVersion Version, IReadOnlyList<CgroupHierarchy> Hierarchies, string? Reason);

/// <summary>Pure parsers that find the cgroup hierarchies and this process's place in them.</summary>
internal static class CgroupDiscovery
{
    /// <summary>The controllers Ferry limits.</summary>
    public static readonly IReadOnlyList<string> UsedControllers = ["memory", "pids", "cpu"];

    private const string PreferredUnifiedMountPoint = "/sys/fs/cgroup";

    /// <summary>Decides the layout from the text of /proc/self/mountinfo and /proc/self/cgroup.</summary>
    public static CgroupLayout Detect(string mountInfo, string procSelfCgroup)
    {
        var mounts = ParseMountInfo(mountInfo);
        var memberships = ParseProcCgroup(procSelfCgroup);

        // Hybrid systems mount a cgroup2 next to the v1 hierarchies, but the controllers live in v1 there.
        var v1 = mounts
            .Where(m => !m.IsUnified && m.Controllers.Overlaps(UsedControllers))
            .DistinctBy(m => string.Join(',', m.Controllers.Order(StringComparer.Ordinal)))
            .ToList();
        if (v1.Count > 0)
        {
            var hierarchies = v1.Select(mount =>
            {
                var membership = memberships.FirstOrDefault(m => m.Controllers.Overlaps(mount.Controllers));
                return new CgroupHierarchy(mount.MountPoint, HostDirectory(mount, membership?.Path), mount.Controllers);
            }).ToList();
            return new CgroupLayout(CgroupVersion.V1, hierarchies, null);
        }

        var unified = mounts.Where(m => m.IsUnified)
            .OrderByDescending(m => m.MountPoint == PreferredUnifiedMountPoint)
            .FirstOrDefault();
        if (unified is not null)
        {
            var membership = memberships.FirstOrDefault(m => m.HierarchyId == "0" && m.Controllers.Count == 0);
            var hierarchy = new CgroupHierarchy(unified.MountPoint, HostDirectory(unified, membership?.Path), new HashSet<string>());
            return new CgroupLayout(CgroupVersion.V2, [hierarchy], null);
        }

        return new CgroupLayout(CgroupVersion.None, [], "no cgroup file system is mounted (see /proc/self/mountinfo)");
    }

    /// <summary>The cgroup and cgroup2 mounts in /proc/self/mountinfo text.</summary>
    public static IReadOnlyList<CgroupMount> ParseMountInfo(string mountInfo)
    {
        // Format (proc(5)): id parent major:minor root mount-point options [optional fields…] - fstype source super-options
        var mounts = new List<CgroupMount>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 7 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            var fileSystemType = fields[separator + 1];
            if (fileSystemType is not ("cgroup" or "cgroup2"))
            {
                continue;
            }

            var superOptions = separator + 3 < fields.Length ? fields[separator + 3] : "";
            var controllers = fileSystemType == "cgroup"
                ? superOptions.Split(',').Where(o => o is not ("rw" or "ro") && !o.Contains('=')).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal);
            mounts.Add(new CgroupMount(Unescape(fields[4]), Unescape(fields[3]), fileSystemType == "cgroup2", controllers));
        }

        return mounts;
    }

    /// <summary>The lines of /proc/self/cgroup text.</summary>
    public static IReadOnlyList<CgroupMembership> ParseProcCgroup(string procSelfCgroup)
    {
        var memberships = new List<CgroupMembership>();
        foreach (var line in procSelfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // hierarchy-id:controller-list:cgroup-path; the path itself may contain ':'.
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            var controllers = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            memberships.Add(new CgroupMembership(parts[0], controllers, parts[2]));
        }

        return memberships;
    }

    /// <summary>Host folder of <paramref name="cgroupPath"/> in the hierarchy mounted by <paramref name="mount"/>.</summary>
    internal static string HostDirectory(CgroupMount mount, string? cgroupPath)
    {
        // Outside our cgroup namespace ("/../…") or unknown: fall back to the top of the mount.
        if (string.IsNullOrEmpty(cgroupPath) || !cgroupPath.StartsWith('/') || cgroupPath.Split('/').Contains(".."))
        {
            return mount.MountPoint;
        }

        var relative = cgroupPath;
        if (mount.Root != "/" && (cgroupPath == mount.Root || cgroupPath.StartsWith(mount.Root + "/", StringComparison.Ordinal)))
        {
            relative = cgroupPath[mount.Root.Length..];
        }

        relative = relative.Trim('/');
        return relative.Length == 0 ? mount.MountPoint : mount.MountPoint.TrimEnd('/') + "/" + relative;
    }

    /// <summary>Undoes the octal escapes of mountinfo (\040 for a space, \011, \012, \134).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(string text, int start) =>
        start + 3 <= text.Length && text.AsSpan(start, 3).IndexOfAnyExceptInRange('0', '7') < 0;
}
