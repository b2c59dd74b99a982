using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Runtime.Images;

namespace Ferry.Runtime.Tests.Images;

/// <summary>Writes OCI image archives (tars of OCI layouts) for tests, with full control over what goes wrong in them.</summary>
internal sealed class TestImageBuilder
{
    private readonly List<(string Name, byte[] Content)> _blobs = [];
    private readonly List<(string MediaType, string Digest, long Size)> _layers = [];
    private readonly List<string> _diffIds = [];

    /// <summary>Entries get a fixed time, so the same content always makes the same digest.</summary>
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    public Dictionary<string, object?> Config { get; } = new()
    {
        ["architecture"] = OciArchive.HostArchitecture(),
        ["os"] = "linux",
        ["config"] = new Dictionary<string, object?>
        {
            ["Entrypoint"] = new[] { "/bin/run" },
            ["Cmd"] = new[] { "--serve" },
            ["Env"] = new[] { "PATH=/bin", "GREETING=hi" },
            ["WorkingDir"] = "/srv",
        },
    };

    /// <summary>A gzip layer of regular files (text content), folders (content null) and symlinks ("-> target").</summary>
    public TestImageBuilder Layer(params (string Name, string? Content)[] entries) => RawLayer(gzip: true, writer =>
    {
        foreach (var (name, content) in entries)
        {
            if (content is null)
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.Directory, name) { ModificationTime = Epoch, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute });
            }
            else if (content.StartsWith("-> ", StringComparison.Ordinal))
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, name) { ModificationTime = Epoch, LinkName = content[3..] });
            }
            else
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    ModificationTime = Epoch,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                });
            }
        }
    });

    public TestImageBuilder RawLayer(bool gzip, Action<TarWriter> write)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            write(writer);
        }

        _diffIds.Add("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToArray())));
        using var buffer = new MemoryStream();
        if (gzip)
        {
            using var compressed = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true);
            compressed.Write(tar.ToArray());
        }
        else
        {
            buffer.Write(tar.ToArray());
        }

        var bytes = buffer.ToArray();
        var digest = Blob(bytes);
        _layers.Add((gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar", digest, bytes.Length));
        return this;
    }

    /// <summary>Adds a blob and returns its digest.</summary>
    public string Blob(byte[] content)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        _blobs.Add(("blobs/sha256/" + digest[7..], content));
        return digest;
    }

    /// <summary>The manifest of the image as built so far (adds config and manifest blobs) and its descriptor.</summary>
    public (string Digest, long Size) Manifest()
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>(Config)
        {
            ["rootfs"] = new { type = "layers", diff_ids = _diffIds },
        });
        var configDigest = Blob(config);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciArchive.ManifestMediaType,
            config = new { mediaType = OciArchive.ConfigMediaType, digest = configDigest, size = config.Length },
            layers = _layers.Select(l => new { mediaType = l.MediaType, digest = l.Digest, size = l.Size }),
        });
        return (Blob(manifest), manifest.Length);
    }

    /// <summary>Writes the archive with an index.json listing <paramref name="index"/> (default: the image's manifest).</summary>
    public string WriteTo(string path, object? index = null, Action<TarWriter>? extra = null)
    {
        if (index is null)
        {
            var (digest, size) = Manifest();
            index = new { schemaVersion = 2, manifests = new[] { new { mediaType = OciArchive.ManifestMediaType, digest, size } } };
        }

        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        Write(writer, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        Write(writer, "index.json", JsonSerializer.SerializeToUtf8Bytes(index));
        foreach (var (name, content) in _blobs)
        {
            Write(writer, name, content);
        }

        extra?.Invoke(writer);
        return path;
    }

    public static void Write(TarWriter writer, string name, byte[] content) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
}
