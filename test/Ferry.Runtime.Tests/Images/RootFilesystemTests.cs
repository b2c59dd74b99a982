using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Images;

/// <summary>Paths inside an image's rootfs are resolved as the sandbox sees them, never through the host's /.</summary>
public sealed class RootFilesystemTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-rootfs-test-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Root => _root.FullName;

    [Fact]
    public void Absolute_symlinks_and_dot_dot_stay_inside_the_root()
    {
        Directory.CreateDirectory(Path.Combine(Root, "usr", "bin"));
        File.WriteAllText(Path.Combine(Root, "usr", "bin", "busybox"), "x");
        File.CreateSymbolicLink(Path.Combine(Root, "bin"), "usr/bin");
        File.CreateSymbolicLink(Path.Combine(Root, "usr", "bin", "sh"), "/bin/busybox");
        File.CreateSymbolicLink(Path.Combine(Root, "usr", "bin", "passwd"), "../../../../../etc/passwd");

        Assert.Equal(Path.Combine(Root, "usr", "bin", "busybox"), RootFilesystem.Resolve(Root, "/bin/sh"));
        Assert.Null(RootFilesystem.Resolve(Root, "/bin/passwd")); // resolves to <root>/etc/passwd, which the image lacks
        Assert.Null(RootFilesystem.Resolve(Root, "/etc/hostname"));
    }

    [Fact]
    public void Symlink_loops_resolve_to_nothing()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "a"), "/b");
        File.CreateSymbolicLink(Path.Combine(Root, "b"), "/a");

        Assert.Null(RootFilesystem.Resolve(Root, "/a/x"));
    }

    [Fact]
    public void Prepare_makes_real_mount_point_folders_replacing_links_that_point_out()
    {
        var outside = Directory.CreateTempSubdirectory("ferry-rootfs-outside-");
        try
        {
            File.CreateSymbolicLink(Path.Combine(Root, "tmp"), outside.FullName);
            File.CreateSymbolicLink(Path.Combine(Root, "run"), outside.FullName);
            Directory.CreateDirectory(Path.Combine(Root, "var"));
            File.WriteAllText(Path.Combine(Root, "var", "ferry"), "a file in the way");
            Assert.NotNull(RootFilesystem.FindProblem(Root));

            RootFilesystem.Prepare(Root);

            Assert.Null(RootFilesystem.FindProblem(Root));
            foreach (var mountPoint in RootFilesystem.MountPoints)
            {
                var folder = new DirectoryInfo(Root + mountPoint);
                Assert.True(folder.Exists && folder.LinkTarget is null, mountPoint);
            }

            Assert.Empty(outside.EnumerateFileSystemInfos()); // nothing was created through the links
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }
}
