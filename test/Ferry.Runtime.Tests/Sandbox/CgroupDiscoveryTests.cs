using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class CgroupDiscoveryTests
{
    private const string HybridMountInfo =
        """
        23 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
        """;

    private const string HybridProcCgroup =
        """
        9:name=systemd:/
        8:pids:/
        4:memory:/process_api/7f58
        1:cpu,cpuacct:/
        0::/
        """;

    private const string UnifiedMountInfo =
        """
        22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
        35 22 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    [Fact]
    public void Hybrid_system_uses_the_v1_controllers_and_our_own_memory_cgroup()
    {
        var layout = CgroupDiscovery.Detect(HybridMountInfo, HybridProcCgroup);

        Assert.Equal(CgroupVersion.V1, layout.Version);
        var byFirstController = layout.Hierarchies.ToDictionary(h => h.MountPoint);
        Assert.Equal(3, byFirstController.Count);
        Assert.Equal("/sys/fs/cgroup/memory/process_api/7f58", byFirstController["/sys/fs/cgroup/memory"].OwnDirectory);
        Assert.Equal("/sys/fs/cgroup/pids", byFirstController["/sys/fs/cgroup/pids"].OwnDirectory);
        Assert.Equal(["cpu", "cpuacct"], byFirstController["/sys/fs/cgroup/cpu,cpuacct"].Controllers.Order());
    }

    [Fact]
    public void Pure_v2_uses_the_unified_hierarchy_and_our_own_cgroup()
    {
        var layout = CgroupDiscovery.Detect(UnifiedMountInfo, "0::/user.slice/user-1000.slice/session-3.scope\n");

        Assert.Equal(CgroupVersion.V2, layout.Version);
        var hierarchy = Assert.Single(layout.Hierarchies);
        Assert.Equal("/sys/fs/cgroup", hierarchy.MountPoint);
        Assert.Equal("/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope", hierarchy.OwnDirectory);
    }

    [Fact]
    public void Hybrid_without_v1_resource_controllers_is_treated_as_v2()
    {
        const string mountInfo =
            """
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

        var layout = CgroupDiscovery.Detect(mountInfo, "1:name=systemd:/\n0::/app\n");

        Assert.Equal(CgroupVersion.V2, layout.Version);
        Assert.Equal("/sys/fs/cgroup/unified/app", Assert.Single(layout.Hierarchies).OwnDirectory);
    }

    [Fact]
    public void Container_mount_of_a_sub_folder_is_resolved_relative_to_the_mount_root()
    {
        const string mountInfo = "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n";

        var layout = CgroupDiscovery.Detect(mountInfo, "4:memory:/docker/abc/worker\n");

        Assert.Equal("/sys/fs/cgroup/memory/worker", Assert.Single(layout.Hierarchies).OwnDirectory);
    }

    [Theory]
    [InlineData("0::/")]
    [InlineData("0::/../../outside")]
    [InlineData("")]
    public void Root_unknown_or_outside_our_namespace_falls_back_to_the_mount_point(string procSelfCgroup)
    {
        var layout = CgroupDiscovery.Detect(UnifiedMountInfo, procSelfCgroup);

        Assert.Equal("/sys/fs/cgroup", Assert.Single(layout.Hierarchies).OwnDirectory);
    }

    [Fact]
    public void No_cgroup_mounts_means_none_with_a_reason()
    {
        var layout = CgroupDiscovery.Detect("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n", "");

        Assert.Equal(CgroupVersion.None, layout.Version);
        Assert.Empty(layout.Hierarchies);
        Assert.Contains("no cgroup", layout.Reason);
    }

    [Fact]
    public void Mount_points_with_escaped_spaces_are_unescaped()
    {
        var mounts = CgroupDiscovery.ParseMountInfo(@"35 31 0:32 / /mnt/my\040cgroups rw - cgroup cgroup rw,memory" + "\n");

        Assert.Equal("/mnt/my cgroups", Assert.Single(mounts).MountPoint);
    }

    [Fact]
    public void Proc_cgroup_lines_keep_colons_in_the_path()
    {
        var memberships = CgroupDiscovery.ParseProcCgroup("4:memory:/a:b\n0::/x\n");

        Assert.Equal("/a:b", memberships[0].Path);
        Assert.Equal(["memory"], memberships[0].Controllers);
        Assert.Empty(memberships[1].Controllers);
        Assert.Equal("0", memberships[1].HierarchyId);
    }
}
