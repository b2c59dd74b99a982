using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Hub.Packaging;

namespace Ferry.Hub.Tests;

/// <summary>Takes packages apart and puts them back together with changes, as an attacker would.</summary>
internal static class PackageSurgery
{
    public static Dictionary<string, byte[]> Entries(byte[] package)
    {
        using var zip = new ZipArchive(new MemoryStream(package), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(entry => entry.FullName, entry =>
        {
            using var content = entry.Open();
            using var buffer = new MemoryStream();
            content.CopyTo(buffer);
            return buffer.ToArray();
        });
    }

    public static byte[] Build(IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        }

        return output.ToArray();
    }

    public static byte[] Replace(byte[] package, string name, byte[]? content)
    {
        var entries = Entries(package);
        if (content is null)
        {
            entries.Remove(name);
        }
        else
        {
            entries[name] = content;
        }

        return Build(entries);
    }

    /// <summary>Changes template.json with <paramref name="edit"/>; re-signs it with <paramref name="key"/> when given.</summary>
    public static byte[] EditTemplateJson(byte[] package, Action<JsonObject> edit, TemplateSigningKey? key = null)
    {
        var entries = Entries(package);
        var json = JsonNode.Parse(entries[PackageFormat.TemplateEntry])!.AsObject();
        edit(json);
        entries[PackageFormat.TemplateEntry] = JsonSerializer.SerializeToUtf8Bytes(json);
        if (key is not null)
        {
            entries[PackageFormat.SignatureEntry] = Signature(key, entries[PackageFormat.TemplateEntry], entries[PackageFormat.AppArchiveEntry]);
        }

        return Build(entries);
    }

    public static byte[] Signature(TemplateSigningKey key, byte[] templateJson, byte[] appZip)
    {
        var message = PackageFormat.SignedMessage(PackageFormat.Sha256(templateJson), PackageFormat.Sha256(appZip));
        return JsonSerializer.SerializeToUtf8Bytes(new { keyId = key.KeyId, algorithm = "ed25519", signature = Convert.ToBase64String(key.Sign(message)) });
    }
}
