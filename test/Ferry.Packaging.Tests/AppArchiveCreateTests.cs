using System.IO.Compression;

namespace Ferry.Packaging.Tests;

public sealed class AppArchiveCreateTests : IDisposable
{
    private const UnixFileMode Executable = (UnixFileMode)0x1ED; // rwxr-xr-x
    private const UnixFileMode ReadWrite = (UnixFileMode)0x1A4; // rw-r--r--

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Round_trip_preserves_content_and_the_executable_bit()
    {
        var source = _temp.Combine("service");
        _temp.WriteFile("service/bootstrap", "#!/bin/sh\necho hi\n", Executable);
        _temp.WriteFile("service/handler.js", "exports.handler = async () => 42;", ReadWrite);
        _temp.WriteFile("service/lib/deep/util.js", "module.exports = 1;", ReadWrite);
        using var zip = new MemoryStream();

        var created = await AppArchive.CreateAsync(source, zip, [], progress: null, CancellationToken.None);
        zip.Position = 0;
        var destination = _temp.Combine("out/revision-1");
        var extracted = await AppArchive.ExtractAsync(zip, destination, new ArchiveLimits(), CancellationToken.None);

        Assert.Equal(new ArchiveSummary(3, created.TotalBytes), created);
        Assert.Equal(created, extracted);
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(destination, "bootstrap")));
        Assert.Equal("module.exports = 1;", File.ReadAllText(Path.Combine(destination, "lib/deep/util.js")));
        Assert.Equal(Executable, File.GetUnixFileMode(Path.Combine(destination, "bootstrap")));
        Assert.Equal(ReadWrite, File.GetUnixFileMode(Path.Combine(destination, "handler.js")));
        Assert.Equal(["out/revision-1"], Directory.EnumerateFileSystemEntries(_temp.Combine("out")).Select(p => Path.GetRelativePath(_temp.Path, p)));
    }

    [Fact]
    public async Task Listing_the_files_gives_exactly_the_entries_the_archive_gets_with_their_size_time_and_mode()
    {
        var source = _temp.Combine("service");
        _temp.WriteFile("service/bootstrap", "#!/bin/sh\necho hi\n", Executable);
        _temp.WriteFile("service/handler.js", "exports.handler = async () => 42;", ReadWrite);
        _temp.WriteFile("service/secrets/key.pem", "secret", ReadWrite);
        _temp.WriteFile("service/.git/HEAD", "ref", ReadWrite);
        File.CreateSymbolicLink(_temp.Combine("service/current.js"), "handler.js");
        IReadOnlyList<string> patterns = ["!secrets/**"];
        using var zip = new MemoryStream();
        await AppArchive.CreateAsync(source, zip, patterns, progress: null, CancellationToken.None);
        zip.Position = 0;
        using var archive = new ZipArchive(zip);

        var listed = AppArchive.ListFiles(source, patterns, CancellationToken.None);

        Assert.Equal(archive.Entries.Select(e => e.FullName), listed.Select(f => f.RelativePath));
        var bootstrap = listed.Single(f => f.RelativePath == "bootstrap");
        Assert.Equal(new FileInfo(_temp.Combine("service/bootstrap")).Length, bootstrap.Length);
        Assert.Equal(File.GetLastWriteTimeUtc(_temp.Combine("service/bootstrap")), bootstrap.LastWriteTimeUtc);
        Assert.Equal((int)Executable, bootstrap.Permissions);
        Assert.Equal("handler.js", listed.Single(f => f.RelativePath == "current.js").LinkTarget);
    }

    [Fact]
    public async Task Default_excludes_drop_tool_state_and_os_clutter()
    {
        foreach (var file in new[] { "handler.py", ".env", ".git/HEAD", ".serverless/state.json", ".ferry/cache", "pkg/__pycache__/m.pyc", "pkg/.DS_Store", "pkg/m.py", "vendor.zip" })
        {
            _temp.WriteFile("service/" + file, file);
        }

        var names = await EntryNamesAsync(_temp.Combine("service"), []);

        Assert.Equal([".env", "handler.py", "pkg/m.py", "vendor.zip"], names);
    }

    [Fact]
    public async Task Patterns_apply_in_order_so_later_ones_win()
    {
        foreach (var file in new[] { "handler.js", "README.md", "docs/guide.md", "node_modules/left-pad/index.js", "node_modules/node-fetch/index.js", "node_modules/node-fetch/README.md" })
        {
            _temp.WriteFile("service/" + file, file);
        }

        var names = await EntryNamesAsync(_temp.Combine("service"), ["!node_modules/**", "node_modules/node-fetch/**", "!**/*.md", "docs/**"]);

        Assert.Equal(["docs/guide.md", "handler.js", "node_modules/node-fetch/index.js"], names);
    }

    [Fact]
    public async Task In_tree_symlinks_are_stored_as_relative_links_and_recreated()
    {
        var source = _temp.Combine("service");
        _temp.WriteFile("service/lib/real.js", "real");
        File.CreateSymbolicLink(Path.Combine(source, "alias.js"), "lib/real.js");
        File.CreateSymbolicLink(Path.Combine(source, "lib/absolute.js"), Path.Combine(source, "lib/real.js"));
        Directory.CreateSymbolicLink(Path.Combine(source, "current"), "lib");
        using var zip = new MemoryStream();

        var summary = await AppArchive.CreateAsync(source, zip, [], progress: null, CancellationToken.None);
        zip.Position = 0;
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true))
        {
            var link = archive.GetEntry("lib/absolute.js")!;
            Assert.Equal(0xA000, (link.ExternalAttributes >> 16) & 0xF000);
            using var reader = new StreamReader(link.Open());
            Assert.Equal("real.js", reader.ReadToEnd());
        }

        zip.Position = 0;
        var destination = _temp.Combine("out");
        await AppArchive.ExtractAsync(zip, destination, new ArchiveLimits(), CancellationToken.None);

        Assert.Equal(new ArchiveSummary(4, 4), summary);
        Assert.Equal("lib/real.js", new FileInfo(Path.Combine(destination, "alias.js")).LinkTarget);
        Assert.Equal("lib", new DirectoryInfo(Path.Combine(destination, "current")).LinkTarget);
        Assert.Equal("real", File.ReadAllText(Path.Combine(destination, "current/absolute.js")));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside.txt")]
    public async Task Symlinks_leaving_the_tree_are_refused_naming_link_and_target(string target)
    {
        _temp.WriteFile("service/handler.js", "x");
        _temp.WriteFile("outside.txt", "secret");
        File.CreateSymbolicLink(_temp.Combine("service/leak"), target);
        using var zip = new MemoryStream();

        var error = await Assert.ThrowsAsync<ArchiveException>(
            () => AppArchive.CreateAsync(_temp.Combine("service"), zip, [], progress: null, CancellationToken.None));

        Assert.Contains("'leak'", error.Message);
        Assert.Contains(target, error.Message);
    }

    [Fact]
    public async Task Excluded_symlinks_leaving_the_tree_are_ignored()
    {
        _temp.WriteFile("service/handler.js", "x");
        File.CreateSymbolicLink(_temp.Combine("service/leak"), "/etc/passwd");

        Assert.Equal(["handler.js"], await EntryNamesAsync(_temp.Combine("service"), ["!leak"]));
    }

    [Fact]
    public async Task Progress_counts_files_and_bytes()
    {
        _temp.WriteFile("service/a.txt", "12345");
        _temp.WriteFile("service/b.txt", "123");
        var progress = new RecordingProgress<ArchiveProgress>();

        await AppArchive.CreateAsync(_temp.Combine("service"), Stream.Null, [], progress, CancellationToken.None);

        Assert.Equal([new ArchiveProgress(1, 5), new ArchiveProgress(2, 8)], progress.Reports);
    }

    [Fact]
    public async Task Unchanged_sources_give_identical_archives()
    {
        _temp.WriteFile("service/a.txt", "same");
        _temp.WriteFile("service/sub/b.txt", "content");
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        await AppArchive.CreateAsync(_temp.Combine("service"), first, [], progress: null, CancellationToken.None);
        File.SetLastWriteTimeUtc(_temp.Combine("service/a.txt"), DateTime.UtcNow.AddDays(-3));
        await AppArchive.CreateAsync(_temp.Combine("service"), second, [], progress: null, CancellationToken.None);

        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [Fact]
    public async Task Patterns_matching_nothing_are_an_error()
    {
        _temp.WriteFile("service/a.txt", "x");

        var error = await Assert.ThrowsAsync<ArchiveException>(
            () => AppArchive.CreateAsync(_temp.Combine("service"), Stream.Null, ["!**"], progress: null, CancellationToken.None));

        Assert.Contains("No file", error.Message);
    }

    private static async Task<List<string>> EntryNamesAsync(string source, IReadOnlyList<string> patterns)
    {
        using var zip = new MemoryStream();
        await AppArchive.CreateAsync(source, zip, patterns, progress: null, CancellationToken.None);
        zip.Position = 0;
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read);
        return archive.Entries.Select(e => e.FullName).ToList();
    }
}
