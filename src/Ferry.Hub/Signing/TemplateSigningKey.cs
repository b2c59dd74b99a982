using System.Text;
using NSec.Cryptography;

namespace Ferry.Hub;

/// <summary>
/// A template provider's ed25519 private key. Text forms: <c>ferry-ed25519-private:</c> followed by the base64 of the
/// 32-byte seed (<see cref="Export"/>), or a PKCS#8 PEM block (<see cref="ExportPkcs8Pem"/>); both import with
/// <see cref="Import"/>. Dispose it to wipe the key from memory.
/// </summary>
public sealed class TemplateSigningKey : IDisposable
{
    public const string Prefix = "ferry-ed25519-private:";

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Key key;

    private TemplateSigningKey(Key key)
    {
        this.key = key;
        PublicKey = TemplatePublicKey.FromRaw(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public TemplatePublicKey PublicKey { get; }

    /// <summary>The public key's id (first 16 hex digits of its SHA-256).</summary>
    public string KeyId => PublicKey.KeyId;

    public static TemplateSigningKey Generate()
    {
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new TemplateSigningKey(Key.Create(Algorithm, in parameters));
    }

    /// <summary>Reads the <c>ferry-ed25519-private:</c> form or a PKCS#8 PEM block (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    /// <exception cref="FormatException">The text is neither form, or holds no ed25519 private key.</exception>
    public static TemplateSigningKey Import(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var seed = KeyText.DecodeBase64(trimmed[Prefix.Length..], "private key");
            return ImportBlob(seed, KeyBlobFormat.RawPrivateKey, "the private key must be 32 bytes");
        }

        if (trimmed.StartsWith("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return ImportBlob(Encoding.ASCII.GetBytes(trimmed), KeyBlobFormat.PkixPrivateKeyText, "the PEM block is not an ed25519 PKCS#8 private key");
        }

        throw new FormatException($"a private key must start with '{Prefix}' or be a PKCS#8 PEM block ('-----BEGIN PRIVATE KEY-----')");
    }

    /// <summary><c>ferry-ed25519-private:</c> + base64 of the 32-byte seed. Keep it secret.</summary>
    public string Export() => Prefix + Convert.ToBase64String(key.Export(KeyBlobFormat.RawPrivateKey));

    /// <summary>A PKCS#8 PEM block, readable by OpenSSL. Keep it secret.</summary>
    public string ExportPkcs8Pem() => Encoding.ASCII.GetString(key.Export(KeyBlobFormat.PkixPrivateKeyText));

    /// <summary>The 64-byte ed25519 signature of <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(key, data);

    public void Dispose() => key.Dispose();

    public override string ToString() => $"ed25519 signing key {KeyId}";

    private static TemplateSigningKey ImportBlob(byte[] blob, KeyBlobFormat format, string problem)
    {
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return Key.TryImport(Algorithm, blob, format, out var key, in parameters) && key is not null
            ? new TemplateSigningKey(key)
            : throw new FormatException($"cannot import the signing key: {problem}");
    }
}
