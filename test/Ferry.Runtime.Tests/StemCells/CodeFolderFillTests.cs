using Ferry.Runtime.StemCells;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>A cell's code folder gets the revision's tree: hard links on one file system, symlinks as they are.</summary>
public sealed class CodeFolderFillTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-fill-test-");

    private string Source => Path.Combine(_root.FullName, "source");

    private string Target => Path.Combine(_root.FullName, "target");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void The_tree_is_hard_linked_and_symlinks_are_recreated_not_followed()
    {
        Directory.CreateDirectory(Path.Combine(Source, "lib", "deep"));
        File.WriteAllText(Path.Combine(Source, "app.py"), "code");
        File.WriteAllText(Path.Combine(Source, "lib", "deep", "util.py"), "util");
        File.CreateSymbolicLink(Path.Combine(Source, "shared"), "/etc");
        File.CreateSymbolicLink(Path.Combine(Source, "alias.py"), "app.py");
        var script = Path.Combine(Source, "run.sh");
        File.WriteAllText(script, "#!/bin/sh");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Target);

        var allLinked = CodeFolderFill.Fill(Source, Target, CancellationToken.None);

        Assert.True(allLinked);
        Assert.Equal("util", File.ReadAllText(Path.Combine(Target, "lib", "deep", "util.py")));
        Assert.Equal("/etc", new FileInfo(Path.Combine(Target, "shared")).LinkTarget);
        Assert.Equal("app.py", new FileInfo(Path.Combine(Target, "alias.py")).LinkTarget);
        Assert.True(File.GetUnixFileMode(Path.Combine(Target, "run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(
            Directory.EnumerateFileSystemEntries(Source, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Source, p)).Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(Target, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Target, p)).Order(StringComparer.Ordinal));

        // A hard link: the same file, not a copy.
        File.AppendAllText(Path.Combine(Source, "app.py"), "+");
        Assert.Equal("code+", File.ReadAllText(Path.Combine(Target, "app.py")));
    }

    [Fact]
    public void Across_file_systems_the_files_are_copied()
    {
        Assert.True(Directory.Exists("/dev/shm"), "this test copies from a tmpfs at /dev/shm");
        var other = Directory.CreateTempSubdirectory("ferry-fill-test-");
        try
        {
            var source = Path.Combine("/dev/shm", "ferry-fill-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(source, "lib"));
            try
            {
                File.WriteAllText(Path.Combine(source, "app.js"), "code");
                File.WriteAllText(Path.Combine(source, "lib", "util.js"), "util");

                var allLinked = CodeFolderFill.Fill(source, other.FullName, CancellationToken.None);

                Assert.False(allLinked);
                Assert.Equal("code", File.ReadAllText(Path.Combine(other.FullName, "app.js")));
                Assert.Equal("util", File.ReadAllText(Path.Combine(other.FullName, "lib", "util.js")));
            }
            finally
            {
                Directory.Delete(source, recursive: true);
            }
        }
        finally
        {
            other.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_source_folder_is_named_in_the_error()
    {
        Directory.CreateDirectory(Target);

        var error = Assert.Throws<DirectoryNotFoundException>(() => CodeFolderFill.Fill(Source, Target, CancellationToken.None));

        Assert.Contains(Source, error.Message);
    }
}
