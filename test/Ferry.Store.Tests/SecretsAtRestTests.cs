using System.Security.Cryptography;
using System.Text;

namespace Ferry.Store.Tests;

/// <summary>AES-GCM with a key of its own: a real protector, like the server's Data Protection one, for the store tests.</summary>
internal sealed class AesGcmSecretProtector : IStoredSecretProtector
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string Protect(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var sealedBytes = new byte[nonce.Length + AesGcm.TagByteSizes.MaxSize + plain.Length];
        using var aes = new AesGcm(_key, AesGcm.TagByteSizes.MaxSize);
        nonce.CopyTo(sealedBytes, 0);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(nonce.Length + AesGcm.TagByteSizes.MaxSize), sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize));
        return Convert.ToBase64String(sealedBytes);
    }

    public string Unprotect(string protectedValue)
    {
        var sealedBytes = Convert.FromBase64String(protectedValue);
        var nonceLength = AesGcm.NonceByteSizes.MaxSize;
        var tagLength = AesGcm.TagByteSizes.MaxSize;
        var plain = new byte[sealedBytes.Length - nonceLength - tagLength];
        using var aes = new AesGcm(_key, tagLength);
        aes.Decrypt(sealedBytes.AsSpan(0, nonceLength), sealedBytes.AsSpan(nonceLength + tagLength), sealedBytes.AsSpan(nonceLength, tagLength), plain);
        return Encoding.UTF8.GetString(plain);
    }
}

/// <summary>Access-key secrets and template parameter values never reach the database in plain text.</summary>
public abstract class SecretsAtRestTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private const string AccessSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    private const string ParametersJson = """{"apiKey":"sk-live-very-secret","title":"Blog"}""";
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly AesGcmSecretProtector _protector = new();

    [Fact]
    public async Task Secret_columns_are_encrypted_and_read_back_in_plain_text()
    {
        await using var store = Backend.Open(Clock, _protector);
        await store.InitializeAsync(None);
        var (app, revision) = await WriteSecretsAsync(store);

        foreach (var raw in await ReadRawSecretsAsync(app.Id, revision.Id))
        {
            Assert.StartsWith("enc:v1:", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(AccessSecret, raw, StringComparison.Ordinal);
        }

        Assert.Equal(AccessSecret, (await store.FindAccessKeyAsync("AKIAFERRYATREST", None))!.SecretAccessKey);
        Assert.Equal(ParametersJson, (await store.FindInstallAsync(app.Id, None))!.ParametersJson);
        Assert.Equal(ParametersJson, (await store.ListInstallsAsync("acme", None)).Single().ParametersJson);
        Assert.Equal(ParametersJson, (await store.FindInstallRevisionAsync(revision.Id, None))!.Value.ParametersJson);
    }

    [Fact]
    public async Task Plain_rows_of_an_older_store_are_encrypted_when_the_store_starts()
    {
        // Store (from the base class) has no protector: it writes as Ferry did before encryption at rest.
        var (app, revision) = await WriteSecretsAsync(Store);
        Assert.Contains(AccessSecret, await ReadRawSecretsAsync(app.Id, revision.Id));

        await using var upgraded = Backend.Open(Clock, _protector);
        await upgraded.InitializeAsync(None);
        await upgraded.InitializeAsync(None); // a second start leaves encrypted rows alone

        Assert.All(await ReadRawSecretsAsync(app.Id, revision.Id), raw => Assert.StartsWith("enc:v1:", raw, StringComparison.Ordinal));
        Assert.Equal(AccessSecret, (await upgraded.FindAccessKeyAsync("AKIAFERRYATREST", None))!.SecretAccessKey);
        Assert.Equal(ParametersJson, (await upgraded.FindInstallAsync(app.Id, None))!.ParametersJson);
        Assert.Equal(ParametersJson, (await upgraded.FindInstallRevisionAsync(revision.Id, None))!.Value.ParametersJson);

        // Without the key ring the secrets stay unreadable, with a clear error.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.FindAccessKeyAsync("AKIAFERRYATREST", None));
        Assert.Contains("key ring", error.Message);
    }

    private static async Task<(AppStage App, Revision Revision)> WriteSecretsAsync(IControlPlaneStore store)
    {
        await store.CreateTenantAsync("acme", None);
        var token = await store.CreateTokenAsync("acme", "ci", [Role.Provider], "hash-atrest", "fry_atre", None);
        await store.CreateAccessKeyAsync(token.Id, "AKIAFERRYATREST", AccessSecret, None);
        var (app, revision) = await store.AddRevisionAsync("acme", "blog", "dev", "local", "a1", "{\"service\":\"blog\"}", None);
        await store.SaveInstallAsync("acme", app.Id, "local", "blog", "1.0.0", ParametersJson, None);
        await store.RecordInstallRevisionAsync(revision.Id, "1.0.0", ParametersJson, None);
        return (app, revision);
    }

    private async Task<List<string>> ReadRawSecretsAsync(long appStageId, long revisionId) =>
    [
        await Backend.ReadRawAsync("SELECT secret FROM access_keys WHERE access_key_id = 'AKIAFERRYATREST'"),
        await Backend.ReadRawAsync($"SELECT parameters_json FROM installs WHERE app_stage_id = {appStageId}"),
        await Backend.ReadRawAsync($"SELECT parameters_json FROM install_revisions WHERE revision_id = {revisionId}"),
    ];
}

public sealed class SqliteSecretsAtRestTests : SecretsAtRestTests<SqliteBackend>
{
    [Fact]
    public async Task The_database_file_is_owner_only()
    {
        var mode = File.GetUnixFileMode(Backend.DatabasePath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        await Store.CreateTenantAsync("acme", CancellationToken.None);
        foreach (var companion in Directory.EnumerateFiles(Path.GetDirectoryName(Backend.DatabasePath)!, "ferry.db-*"))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(companion));
        }
    }
}

public sealed class PostgresSecretsAtRestTests : SecretsAtRestTests<PostgresBackend>;
