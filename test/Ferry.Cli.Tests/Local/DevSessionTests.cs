using System.Text;
using Ferry.Cli.Local;

namespace Ferry.Cli.Tests.Local;

public sealed class DevSessionTests
{
    private static Task<string> Fingerprint(string manifest, string archive)
        => DevSession.FingerprintAsync(manifest, new MemoryStream(Encoding.UTF8.GetBytes(archive)), CancellationToken.None);

    [Fact]
    public async Task Identical_manifest_and_archive_give_the_same_fingerprint()
        => Assert.Equal(await Fingerprint("{\"service\":\"a\"}", "zip"), await Fingerprint("{\"service\":\"a\"}", "zip"));

    [Fact]
    public async Task A_changed_archive_or_manifest_changes_the_fingerprint()
    {
        var original = await Fingerprint("{\"service\":\"a\"}", "zip");

        Assert.NotEqual(original, await Fingerprint("{\"service\":\"a\"}", "zip2"));
        Assert.NotEqual(original, await Fingerprint("{\"service\":\"b\"}", "zip"));
    }

    [Fact]
    public async Task The_fingerprint_reads_the_whole_archive_from_its_start()
    {
        var archive = new MemoryStream(Encoding.UTF8.GetBytes("zip"));
        archive.Position = 2;

        Assert.Equal(await Fingerprint("m", "zip"), await DevSession.FingerprintAsync("m", archive, CancellationToken.None));
    }
}
