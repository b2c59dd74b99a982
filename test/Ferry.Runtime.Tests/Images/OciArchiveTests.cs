using System.Formats.Tar;
using System.Text;
using Ferry.Runtime.Images;

namespace Ferry.Runtime.Tests.Images;

public sealed class OciArchiveTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ferry-oci-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_folder.FullName, name);

    private static Task<OciImage> ReadAsync(string path, ImageLimits? limits = null) =>
        OciArchive.ReadAsync(path, limits ?? new ImageLimits(), CancellationToken.None);

    [Fact]
    public async Task A_valid_archive_gives_its_manifest_digest_config_and_layers()
    {
        var builder = new TestImageBuilder().Layer(("bin/", null), ("bin/run", "#!/bin/sh\necho hi\n"));
        var (digest, size) = builder.Manifest();
        var path = builder.WriteTo(PathOf("image.tar"), new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = OciArchive.ManifestMediaType, digest, size } },
        });

        var image = await ReadAsync(path);

        Assert.Equal(digest, image.ManifestDigest);
        Assert.Equal(["/bin/run"], image.Config.Entrypoint);
        Assert.Equal(["--serve"], image.Config.Cmd);
        Assert.Equal("/srv", image.Config.WorkingDir);
        Assert.Equal([new("PATH", "/bin"), new KeyValuePair<string, string>("GREETING", "hi")], image.Config.EnvironmentVariables());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", Assert.Single(image.Layers).MediaType);
    }

    [Fact]
    public async Task The_same_image_written_twice_has_the_same_digest()
    {
        var first = await ReadAsync(new TestImageBuilder().Layer(("a", "1")).WriteTo(PathOf("1.tar")));
        var second = await ReadAsync(new TestImageBuilder().Layer(("a", "1")).WriteTo(PathOf("2.tar")));
        var other = await ReadAsync(new TestImageBuilder().Layer(("a", "2")).WriteTo(PathOf("3.tar")));

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.NotEqual(first.ManifestDigest, other.ManifestDigest);
    }

    [Fact]
    public async Task A_blob_whose_content_is_not_its_digest_is_refused()
    {
        // A forged archive claiming someone else's digest must not be trusted: the cache is shared by digest.
        var builder = new TestImageBuilder().Layer(("a", "1"));
        var path = builder.WriteTo(PathOf("image.tar"), extra: writer =>
            TestImageBuilder.Write(writer, "blobs/sha256/" + new string('a', 64), Encoding.UTF8.GetBytes("not what the name says")));

        var error = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path));

        Assert.Contains("is corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_that_are_not_oci_layouts_are_refused_with_a_hint()
    {
        var garbage = PathOf("garbage.tar");
        await File.WriteAllTextAsync(garbage, new string('x', 2000));
        var plainTar = PathOf("plain.tar");
        await using (var file = File.Create(plainTar))
        await using (var writer = new TarWriter(file))
        {
            TestImageBuilder.Write(writer, "hello.txt", "hi"u8.ToArray());
        }

        var garbageError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(garbage));
        var plainError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(plainTar));
        var missing = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(PathOf("missing.tar")));

        Assert.Contains("not", garbageError.Message, StringComparison.Ordinal);
        Assert.Contains("needs an oci-layout file and an index.json", plainError.Message, StringComparison.Ordinal);
        Assert.Contains("skopeo copy", plainError.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape", "has a name outside the image layout")]
    [InlineData("blobs/../../x", "has a name outside the image layout")]
    [InlineData("/etc/passwd", "has a name outside the image layout")]
    [InlineData("blobs/sha512/abc", "other than sha256")]
    [InlineData("blobs/sha256/not-a-digest", "not named by a sha256 digest")]
    public async Task Entry_names_cannot_leave_the_layout(string name, string expected)
    {
        var path = new TestImageBuilder().Layer(("a", "1")).WriteTo(PathOf("image.tar"), extra: writer =>
            TestImageBuilder.Write(writer, name, "x"u8.ToArray()));

        var error = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_in_the_archive_itself_are_refused()
    {
        var path = new TestImageBuilder().Layer(("a", "1")).WriteTo(PathOf("image.tar"), extra: writer =>
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "blobs/sha256/link") { LinkName = "/etc/shadow" }));

        var error = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path));

        Assert.Contains("SymbolicLink", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_stop_oversized_archives_and_metadata()
    {
        var path = new TestImageBuilder().Layer(("a", new string('x', 10_000))).WriteTo(PathOf("image.tar"));

        var archiveError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path, new ImageLimits { MaxArchiveBytes = 4096 }));
        var entriesError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path, new ImageLimits { MaxArchiveEntries = 3 }));

        Assert.Contains("at most 4096 bytes", archiveError.Message, StringComparison.Ordinal);
        Assert.Contains("more than 3 entries", entriesError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multi_platform_index_picks_the_hosts_image()
    {
        var builder = new TestImageBuilder().Layer(("a", "1"));
        var (digest, size) = builder.Manifest();
        builder.Config["architecture"] = "s390x-not-this-host";
        var (otherDigest, otherSize) = builder.Manifest();
        var path = builder.WriteTo(PathOf("image.tar"), new
        {
            schemaVersion = 2,
            manifests = new object[]
            {
                new { mediaType = OciArchive.ManifestMediaType, digest = otherDigest, size = otherSize, platform = new { os = "linux", architecture = "s390x-not-this-host" } },
                new { mediaType = OciArchive.ManifestMediaType, digest, size, platform = new { os = "linux", architecture = OciArchive.HostArchitecture() } },
            },
        });

        var image = await ReadAsync(path);

        Assert.Equal(digest, image.ManifestDigest);
    }

    [Fact]
    public async Task An_image_for_another_architecture_or_with_docker_media_types_is_refused()
    {
        var foreign = new TestImageBuilder().Layer(("a", "1"));
        foreign.Config["architecture"] = "s390x-not-this-host";
        var foreignError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(foreign.WriteTo(PathOf("foreign.tar"))));
        Assert.Contains("built for s390x-not-this-host", foreignError.Message, StringComparison.Ordinal);

        var docker = new TestImageBuilder().Layer(("a", "1"));
        var (digest, size) = docker.Manifest();
        var dockerPath = docker.WriteTo(PathOf("docker.tar"), new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = "application/vnd.docker.distribution.manifest.v2+json", digest, size } },
        });
        var dockerError = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(dockerPath));
        Assert.Contains("oci-archive", dockerError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_referenced_blob_missing_from_the_archive_is_named()
    {
        var builder = new TestImageBuilder();
        var path = builder.WriteTo(PathOf("image.tar"), new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = OciArchive.ManifestMediaType, digest = "sha256:" + new string('b', 64), size = 10 } },
        });

        var error = await Assert.ThrowsAsync<ImageException>(() => ReadAsync(path));

        Assert.Contains("sha256:" + new string('b', 64), error.Message, StringComparison.Ordinal);
        Assert.Contains("missing from the archive", error.Message, StringComparison.Ordinal);
    }
}
