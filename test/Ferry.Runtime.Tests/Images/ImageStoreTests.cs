using System.Formats.Tar;
using Ferry.Runtime.Images;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.Images;

/// <summary>Unpacking with the real umoci (Debian's package), as the server does at deploy.</summary>
public sealed class ImageStoreTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ferry-image-store-test-");

    public void Dispose() => ImageStore.DeleteTree(_folder.FullName);

    private string PathOf(string name) => Path.Combine(_folder.FullName, name);

    private string Cache => PathOf("cache");

    private static string Umoci()
    {
        var umoci = ImageStore.FindUmoci();
        Assert.True(umoci is not null, "These tests need umoci: install it with `apt-get install umoci`.");
        return umoci;
    }

    private ImageStore Store(ImageLimits? limits = null, string? umoci = null) =>
        new(Cache, NullLogger.Instance, limits, umoci ?? Umoci(), BubblewrapSandbox.TryFind());

    [Fact]
    public async Task An_image_is_unpacked_once_per_digest_into_a_rootfs_ready_for_sandboxes()
    {
        var archive = new TestImageBuilder()
            .Layer(("bin/", null), ("bin/run", "#!/bin/sh\n"), ("bin/sh", "-> /bin/run"), ("etc/", null), ("etc/release", "one"))
            .Layer(("etc/release", "two"), ("etc/.wh.gone", ""))
            .WriteTo(PathOf("image.tar"));

        var image = await Store().EnsureUnpackedAsync(archive, CancellationToken.None);

        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(image.RootFilesystem, "etc", "release")));
        Assert.Equal("/bin/run", new FileInfo(Path.Combine(image.RootFilesystem, "bin", "sh")).LinkTarget);
        Assert.Null(RootFilesystem.FindProblem(image.RootFilesystem));
        Assert.Equal(["/bin/run"], image.Config.Entrypoint);
        Assert.Equal([image.Digest], Store().CachedDigests());

        // A copy of the archive elsewhere (another app, a later deploy) is the same image: a store that can't even run
        // umoci serves it from the cache.
        File.Copy(archive, PathOf("copy.tar"));
        var again = await Store(umoci: "/nonexistent/umoci").EnsureUnpackedAsync(PathOf("copy.tar"), CancellationToken.None);

        Assert.Equal(image, again with { Config = image.Config });
        Assert.Equal(image.Config.Entrypoint, again.Config.Entrypoint);
        Assert.Equal(image.Config.Env, again.Config.Env);
        Assert.Empty(Directory.GetDirectories(Cache, ".unpack-*"));
    }

    [Fact]
    public async Task A_layer_that_climbs_out_is_refused_before_umoci_runs()
    {
        var archive = new TestImageBuilder()
            .RawLayer(gzip: false, writer => writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "../../escaped") { DataStream = new MemoryStream("x"u8.ToArray()) }))
            .WriteTo(PathOf("image.tar"));

        var error = await Assert.ThrowsAsync<ImageException>(() => Store().EnsureUnpackedAsync(archive, CancellationToken.None));

        Assert.Contains("leaves the image", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("escaped")));
        Assert.Empty(Store().CachedDigests());
        Assert.Empty(Directory.GetDirectories(Cache, ".unpack-*"));
    }

    [Fact]
    public async Task A_layer_that_unpacks_past_the_limit_is_refused()
    {
        var archive = new TestImageBuilder().Layer(("big", new string('0', 200_000))).WriteTo(PathOf("image.tar"));

        var error = await Assert.ThrowsAsync<ImageException>(() =>
            Store(new ImageLimits { MaxUnpackedBytes = 100_000 }).EnsureUnpackedAsync(archive, CancellationToken.None));

        Assert.Contains("unpacks to more than 100000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_umoci_the_error_says_what_to_install()
    {
        var archive = new TestImageBuilder().Layer(("a", "1")).WriteTo(PathOf("image.tar"));
        var store = new ImageStore(Cache, NullLogger.Instance, umociPath: null, jailPath: null);
        var withoutUmoci = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", "/nonexistent");
        try
        {
            var error = await Assert.ThrowsAsync<ImageException>(() => store.EnsureUnpackedAsync(archive, CancellationToken.None));
            Assert.Contains("apt-get install umoci", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", withoutUmoci);
        }
    }
}
