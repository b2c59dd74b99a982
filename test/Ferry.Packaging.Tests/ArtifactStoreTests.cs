using System.Security.Cryptography;

namespace Ferry.Packaging.Tests;

public sealed class ArtifactStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ArtifactStore _store;

    public ArtifactStoreTests() => _store = new ArtifactStore(_temp.Combine("artifacts"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Saving_returns_the_sha256_and_stores_the_content_under_it()
    {
        var content = RandomNumberGenerator.GetBytes(200_000);

        var sha256 = await _store.SaveAsync(new MemoryStream(content), maxBytes: 1_000_000, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), sha256);
        Assert.True(File.Exists(_temp.Combine($"artifacts/{sha256[..2]}/{sha256}.zip")));
        Assert.True(_store.Exists(sha256));
        Assert.Equal([sha256], _store.List());
        using var stored = new MemoryStream();
        await using (var read = _store.OpenRead(sha256))
        {
            await read.CopyToAsync(stored);
        }

        Assert.Equal(content, stored.ToArray());
    }

    [Fact]
    public async Task Content_over_the_limit_is_refused_and_nothing_is_kept()
    {
        var error = await Assert.ThrowsAsync<ArtifactTooLargeException>(
            () => _store.SaveAsync(new MemoryStream(new byte[1001]), maxBytes: 1000, CancellationToken.None));

        Assert.Equal(1000, error.Limit);
        Assert.Contains("1000 bytes", error.Message);
        Assert.Empty(_store.List());
        Assert.Empty(Directory.EnumerateFiles(_temp.Combine("artifacts"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Content_exactly_at_the_limit_is_accepted()
    {
        var sha256 = await _store.SaveAsync(new MemoryStream(new byte[1000]), maxBytes: 1000, CancellationToken.None);

        Assert.True(_store.Exists(sha256));
    }

    [Fact]
    public async Task Saving_the_same_content_twice_keeps_one_copy()
    {
        var first = await _store.SaveAsync(new MemoryStream("same bytes"u8.ToArray()), 100, CancellationToken.None);
        var second = await _store.SaveAsync(new MemoryStream("same bytes"u8.ToArray()), 100, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal([first], _store.List());
        Assert.Single(Directory.EnumerateFiles(_temp.Combine("artifacts"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Deleted_artifacts_are_gone_and_opening_them_says_which_is_missing()
    {
        var sha256 = await _store.SaveAsync(new MemoryStream("bytes"u8.ToArray()), 100, CancellationToken.None);

        _store.Delete(sha256);

        Assert.False(_store.Exists(sha256));
        Assert.Empty(_store.List());
        var error = Assert.Throws<FileNotFoundException>(() => _store.OpenRead(sha256));
        Assert.Contains(sha256, error.Message);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abc")]
    public void Names_that_are_not_a_sha256_are_refused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => _store.Exists(name));

        Assert.Contains(name, error.Message);
    }
}
