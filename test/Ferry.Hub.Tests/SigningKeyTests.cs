using System.Security.Cryptography;

namespace Ferry.Hub.Tests;

public class SigningKeyTests
{
    [Fact]
    public void Exported_keys_import_back_to_the_same_key()
    {
        using var key = TemplateSigningKey.Generate();
        var data = "template bytes"u8.ToArray();

        using var fromRaw = TemplateSigningKey.Import(key.Export());
        using var fromPem = TemplateSigningKey.Import(key.ExportPkcs8Pem());
        var publicKey = TemplatePublicKey.Parse(key.PublicKey.Export());

        Assert.StartsWith("ferry-ed25519-private:", key.Export());
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", key.ExportPkcs8Pem());
        Assert.StartsWith("ferry-ed25519:", key.PublicKey.Export());
        Assert.Equal(key.KeyId, fromRaw.KeyId);
        Assert.Equal(key.KeyId, fromPem.KeyId);
        Assert.Equal(key.PublicKey, publicKey);
        Assert.True(publicKey.Verify(data, fromRaw.Sign(data)));
        Assert.True(publicKey.Verify(data, fromPem.Sign(data)));
    }

    [Fact]
    public void Key_id_is_the_first_16_hex_digits_of_the_public_key_hash()
    {
        using var key = TemplateSigningKey.Generate();
        var raw = Convert.FromBase64String(key.PublicKey.Export()["ferry-ed25519:".Length..]);

        Assert.Equal(32, raw.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(raw))[..16], key.KeyId);
    }

    [Fact]
    public void Verification_fails_for_other_data_or_another_key()
    {
        using var key = TemplateSigningKey.Generate();
        using var other = TemplateSigningKey.Generate();
        var signature = key.Sign("a"u8);

        Assert.False(key.PublicKey.Verify("b"u8, signature));
        Assert.False(other.PublicKey.Verify("a"u8, signature));
        Assert.False(key.PublicKey.Verify("a"u8, signature.AsSpan(0, 10)));
    }

    [Theory]
    [InlineData("ed25519:AAAA", "must start with 'ferry-ed25519-private:'")]
    [InlineData("ferry-ed25519-private:%%%", "not valid base64")]
    [InlineData("ferry-ed25519-private:AAAA", "must be 32 bytes")]
    public void Malformed_private_keys_are_refused(string text, string reason)
    {
        var exception = Assert.Throws<FormatException>(() => TemplateSigningKey.Import(text));
        Assert.Contains(reason, exception.Message);
    }

    [Theory]
    [InlineData("AAAA", "must start with 'ferry-ed25519:'")]
    [InlineData("ferry-ed25519:AAAA", "32 bytes")]
    public void Malformed_public_keys_are_refused(string text, string reason)
    {
        var exception = Assert.Throws<FormatException>(() => TemplatePublicKey.Parse(text));
        Assert.Contains(reason, exception.Message);
    }
}
