using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class MountTableTests
{
    private static readonly string[] MountInfo =
    [
        "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
        "46 27 254:0 /data/cells/a /data/cells/a rw,relatime shared:3 - ext4 /dev/vda rw",
        "50 46 254:0 /data/code/r1 /data/cells/a ro,nosuid,nodev,relatime shared:5 - ext4 /dev/vda rw",
        "51 27 254:0 /data/cells/b\\040c /data/cells/b\\040c/inner rw,relatime - ext4 /dev/vda rw",
        "52 27 254:0 /data/cellsx /data/cellsx rw - ext4 /dev/vda rw",
        "garbage",
    ];

    [Fact]
    public void Parse_reads_the_mount_point_and_the_per_mount_options_and_unescapes_spaces()
    {
        var mounts = MountTable.Parse(MountInfo);

        Assert.Equal(5, mounts.Count);
        Assert.Equal("/data/cells/a", mounts[2].MountPoint);
        Assert.Equal(["ro", "nosuid", "nodev", "relatime"], mounts[2].Options);
        Assert.Equal("/data/cells/b c/inner", mounts[3].MountPoint);
    }

    [Fact]
    public void Mount_points_below_a_folder_are_listed_once_deepest_first_and_exclude_the_folder_and_its_name_prefixes()
    {
        var below = MountTable.MountPointsBelow(MountTable.Parse(MountInfo), "/data/cells/");

        Assert.Equal(["/data/cells/b c/inner", "/data/cells/a"], below);
    }
}
