namespace Ferry.Packaging.Tests;

public sealed class AppArchiveExtractTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Destination => _temp.Combine("revisions/1");

    [Theory]
    [InlineData("../evil")]
    [InlineData("/abs")]
    [InlineData("a/../../x")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    [InlineData("..\\evil")]
    [InlineData("a\\..\\..\\x")]
    [InlineData("C:/windows/evil")]
    public async Task Entry_names_that_could_escape_are_rejected_leaving_nothing(string name)
    {
        var zip = new ZipBuilder().File("ok.txt", "fine").File(name, "evil").Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip));

        Assert.Contains(name, error.Message);
        AssertNothingLeftBehind();
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../x")]
    [InlineData("../sibling")]
    [InlineData("sub/../../x")]
    [InlineData("loop/../..")]
    public async Task Symlinks_whose_target_is_absolute_or_outside_are_rejected(string target)
    {
        var zip = new ZipBuilder().File("a/ok.txt", "fine").Symlink("link", target).Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip));

        Assert.Contains("'link'", error.Message);
        Assert.Contains(target, error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Files_placed_under_a_symlink_are_rejected()
    {
        var zip = new ZipBuilder().Directory("d/").Symlink("link", "d").File("link/x", "through the link").Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip));

        Assert.Contains("'link/x'", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Duplicate_entries_are_rejected()
    {
        var zip = new ZipBuilder().File("handler.js", "first").File("handler.js", "second").Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip));

        Assert.Contains("more than one entry for 'handler.js'", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Too_many_entries_are_rejected()
    {
        var zip = new ZipBuilder().File("a", "1").File("b", "2").File("c", "3").File("d", "4").Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip, new ArchiveLimits { MaxEntries = 3 }));

        Assert.Contains("4 entries", error.Message);
        Assert.Contains("at most 3", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Archives_expanding_past_the_size_limit_are_rejected()
    {
        var zip = new ZipBuilder().File("a", new string('a', 60)).File("b", new string('b', 60)).Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip, new ArchiveLimits { MaxTotalBytes = 100 }));

        Assert.Contains("more than 100 bytes", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Compression_bombs_are_rejected_even_within_the_size_limit()
    {
        var zip = new ZipBuilder().File("zeros.bin", new byte[4 << 20]).Build();

        var error = await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(zip));

        Assert.Contains("'zeros.bin'", error.Message);
        Assert.Contains("fold", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Setuid_setgid_and_sticky_bits_are_never_restored()
    {
        var zip = new ZipBuilder().File("tool", "#!/bin/sh", mode: 0x8000 | 0xFED).Build(); // 07755

        await ExtractAsync(zip);

        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(Destination, "tool")));
    }

    [Fact]
    public async Task In_tree_symlinks_and_directories_are_created()
    {
        var zip = new ZipBuilder()
            .Directory("empty/")
            .File("lib/v1/index.js", "v1")
            .Symlink("lib/current", "v1")
            .Symlink("bin/run", "../lib/current/index.js")
            .Build();

        var summary = await ExtractAsync(zip);

        Assert.Equal(new ArchiveSummary(3, 2), summary);
        Assert.True(Directory.Exists(Path.Combine(Destination, "empty")));
        Assert.Equal("../lib/current/index.js", new FileInfo(Path.Combine(Destination, "bin/run")).LinkTarget);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(Destination, "bin/run")));
    }

    [Fact]
    public async Task Forward_only_streams_are_extracted()
    {
        using var zip = new ZipBuilder().File("handler.py", "def handler(e, c): pass").Build();

        await AppArchive.ExtractAsync(new ForwardOnlyStream(zip), Destination, new ArchiveLimits(), CancellationToken.None);

        Assert.Equal("def handler(e, c): pass", File.ReadAllText(Path.Combine(Destination, "handler.py")));
        Assert.Equal(["1"], Directory.EnumerateFileSystemEntries(_temp.Combine("revisions")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Data_that_is_not_a_zip_is_rejected()
    {
        using var garbage = new MemoryStream("definitely not a zip archive"u8.ToArray());

        await Assert.ThrowsAsync<ArchiveException>(() => ExtractAsync(garbage));

        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_destination_that_is_not_empty_is_refused()
    {
        _temp.WriteFile("revisions/1/existing.txt", "keep me");
        using var zip = new ZipBuilder().File("handler.js", "x").Build();

        var error = await Assert.ThrowsAsync<IOException>(() => ExtractAsync(zip));

        Assert.Contains("not empty", error.Message);
        Assert.Equal(["existing.txt"], Directory.EnumerateFileSystemEntries(Destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_empty_destination_directory_is_filled()
    {
        Directory.CreateDirectory(Destination);
        using var zip = new ZipBuilder().File("handler.js", "x").Build();

        await ExtractAsync(zip);

        Assert.Equal("x", File.ReadAllText(Path.Combine(Destination, "handler.js")));
    }

    private Task<ArchiveSummary> ExtractAsync(Stream zip, ArchiveLimits? limits = null) =>
        AppArchive.ExtractAsync(zip, Destination, limits ?? new ArchiveLimits(), CancellationToken.None);

    private void AssertNothingLeftBehind()
    {
        var revisions = _temp.Combine("revisions");
        Assert.Empty(Directory.Exists(revisions) ? Directory.EnumerateFileSystemEntries(revisions) : []);
    }
}
