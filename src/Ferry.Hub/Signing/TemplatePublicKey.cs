using System.Security.Cryptography;
using NSec.Cryptography;

namespace Ferry.Hub;

/// <summary>
/// A provider's ed25519 public key, written <c>ferry-ed25519:</c> followed by the base64 of its 32 bytes. Its
/// <see cref="KeyId"/> is the first 16 hex digits of the SHA-256 of those bytes.
/// </summary>
public sealed class TemplatePublicKey : IEquatable<TemplatePublicKey>
{
    public const string Prefix = "ferry-ed25519:";
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly byte[] raw;
    private readonly PublicKey key;

    private TemplatePublicKey(byte[] raw, PublicKey key)
    {
        this.raw = raw;
        this.key = key;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(raw))[..16];
    }

    public string KeyId { get; }

    /// <exception cref="FormatException">The text is not <c>ferry-ed25519:</c> + base64 of 32 bytes of a valid key.</exception>
    public static TemplatePublicKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"a public key must start with '{Prefix}'");
        }

        return FromRaw(KeyText.DecodeBase64(trimmed[Prefix.Length..], "public key"));
    }

    /// <exception cref="FormatException">The bytes are not an ed25519 public key.</exception>
    public static TemplatePublicKey FromRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != KeySize || !PublicKey.TryImport(Algorithm, bytes, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new FormatException($"an ed25519 public key is {KeySize} bytes encoding a curve point; got {bytes.Length} bytes that are not one");
        }

        return new TemplatePublicKey(bytes.ToArray(), key);
    }

    /// <summary>True when <paramref name="signature"/> is this key's ed25519 signature of <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && Algorithm.Verify(key, data, signature);

    public string Export() => Prefix + Convert.ToBase64String(raw);

    public override string ToString() => Export();

    public bool Equals(TemplatePublicKey? other) => other is not null && raw.AsSpan().SequenceEqual(other.raw);

    public override bool Equals(object? obj) => obj is TemplatePublicKey other && Equals(other);

    public override int GetHashCode() => KeyId.GetHashCode(StringComparison.Ordinal);
}
