using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Hub.Packaging;

/// <summary>The layout of a template package and the bytes its signature covers.</summary>
internal static class PackageFormat
{
    public const string TemplateEntry = "template.json";
    public const string AppArchiveEntry = "app.zip";
    public const string SignatureEntry = "signature.json";
    public const string Algorithm = "ed25519";

    /// <summary>Entries get this timestamp so that the same content gives a byte-identical package.</summary>
    public static readonly DateTimeOffset EntryTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly JsonSerializerOptions Json = CreateOptions();

    /// <summary>
    /// What the signature covers: a domain-separation line, then the SHA-256 of template.json's exact bytes and the
    /// SHA-256 of app.zip, each as lowercase hex on its own line.
    /// </summary>
    public static byte[] SignedMessage(string templateJsonSha256, string appArchiveSha256) =>
        Encoding.UTF8.GetBytes($"ferry-template-signature-v1\n{templateJsonSha256}\n{appArchiveSha256}\n");

    /// <summary>The package's content hash: the SHA-256 of the signed message, so it doesn't depend on who signed.</summary>
    public static string Digest(string templateJsonSha256, string appArchiveSha256) =>
        Sha256(SignedMessage(templateJsonSha256, appArchiveSha256));

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary><c>signature.json</c>.</summary>
internal sealed record SignatureDocument(string KeyId, string Algorithm, string Signature);
