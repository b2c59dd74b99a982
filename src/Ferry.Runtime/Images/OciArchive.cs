using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ferry.Runtime.Images;

/// <summary>A content descriptor of the OCI image spec: what a blob is, its digest and its size.</summary>
internal sealed record OciDescriptor(string MediaType, string Digest, long Size);

/// <summary>The one image of an archive that Ferry runs: its manifest's digest (which names the image), config and layers.</summary>
internal sealed record OciImage(string ManifestDigest, OciDescriptor ManifestDescriptor, OciDescriptor ConfigDescriptor, ImageConfig Config, IReadOnlyList<OciDescriptor> Layers)
{
    /// <summary>The blobs an OCI layout needs to hold this image: manifest, config, layers.</summary>
    public IEnumerable<string> Blobs => [ManifestDigest, ConfigDescriptor.Digest, .. Layers.Select(layer => layer.Digest)];
}

/// <summary>
/// Reads an OCI image archive (a tar of an OCI image layout: <c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>)
/// as untrusted input: every blob is hashed and must match its name, so the manifest digest really names the content
/// (the unpacked rootfs is cached under it and shared). Only regular files and folders are accepted, names can't
/// leave the layout, and every size is bounded by <see cref="ImageLimits"/>.
/// </summary>
internal static class OciArchive
{
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";

    private static readonly HashSet<string> LayerMediaTypes = new(StringComparer.Ordinal)
    {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    };

    private const string BlobFolder = "blobs/sha256/";

    /// <summary>Reads and verifies the archive and picks the image to run (the host's platform when it holds several).</summary>
    /// <exception cref="ImageException">The file is missing, not an OCI image archive, corrupt, or over a limit.</exception>
    public static async Task<OciImage> ReadAsync(string archivePath, ImageLimits limits, CancellationToken cancellationToken)
    {
        var contents = await ScanAsync(archivePath, limits, extractTo: null, wanted: null, cancellationToken);
        return Select(contents, limits);
    }

    /// <summary>
    /// Writes <paramref name="image"/> as a fresh OCI layout in <paramref name="layoutDirectory"/> (an empty folder):
    /// its blobs, hashed again while copied, and an index.json naming only it, tagged <paramref name="tag"/>.
    /// </summary>
    public static async Task ExtractLayoutAsync(string archivePath, OciImage image, string layoutDirectory, string tag, ImageLimits limits, CancellationToken cancellationToken)
    {
        var wanted = image.Blobs.ToHashSet(StringComparer.Ordinal);
        Directory.CreateDirectory(Path.Combine(layoutDirectory, "blobs", "sha256"));
        var contents = await ScanAsync(archivePath, limits, layoutDirectory, wanted, cancellationToken);
        if (wanted.FirstOrDefault(digest => !contents.Blobs.ContainsKey(digest)) is { } missing)
        {
            throw new ImageException($"the archive changed while it was read: blob {missing} is gone");
        }

        await File.WriteAllTextAsync(Path.Combine(layoutDirectory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""", cancellationToken);
        var index = new
        {
            schemaVersion = 2,
            mediaType = IndexMediaType,
            manifests = new[]
            {
                new
                {
                    mediaType = ManifestMediaType,
                    digest = image.ManifestDigest,
                    size = image.ManifestDescriptor.Size,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = tag },
                },
            },
        };
        await File.WriteAllBytesAsync(Path.Combine(layoutDirectory, "index.json"), JsonSerializer.SerializeToUtf8Bytes(index), cancellationToken);
    }

    private sealed class ArchiveContents
    {
        /// <summary>Every verified blob: digest to size.</summary>
        public Dictionary<string, long> Blobs { get; } = new(StringComparer.Ordinal);

        /// <summary>Blobs small enough to be metadata (index, manifest, config), kept in memory.</summary>
        public Dictionary<string, byte[]> Metadata { get; } = new(StringComparer.Ordinal);

        public byte[]? Index { get; set; }
        public byte[]? Layout { get; set; }
    }

    private static async Task<ArchiveContents> ScanAsync(
        string archivePath, ImageLimits limits, string? extractTo, IReadOnlySet<string>? wanted, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageException("the file does not exist in the app folder", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"the file can't be read: {ex.Message}", ex);
        }

        await using var _ = file;
        if (file.Length > limits.MaxArchiveBytes)
        {
            throw new ImageException($"the archive is {file.Length} bytes; image archives may be at most {limits.MaxArchiveBytes} bytes");
        }

        var contents = new ArchiveContents();
        long metadataBytes = 0;
        var entries = 0;
        try
        {
            await using var tar = new TarReader(file, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (++entries > limits.MaxArchiveEntries)
                {
                    throw new ImageException($"the archive has more than {limits.MaxArchiveEntries} entries");
                }

                var name = EntryName(entry.Name);
                if (entry.EntryType is TarEntryType.Directory)
                {
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    throw new ImageException($"the archive entry '{entry.Name}' is a {entry.EntryType}; an OCI image layout holds only files and folders");
                }

                var data = entry.DataStream ?? Stream.Null;
                switch (name)
                {
                    case "oci-layout":
                        contents.Layout = await ReadSmallAsync(data, 4096, "oci-layout", cancellationToken);
                        break;
                    case "index.json":
                        contents.Index = await ReadSmallAsync(data, limits.MaxMetadataBytes, "index.json", cancellationToken);
                        break;
                    case not null when name.StartsWith(BlobFolder, StringComparison.Ordinal):
                        var digest = "sha256:" + name[BlobFolder.Length..];
                        if (!IsDigest(digest))
                        {
                            throw new ImageException($"the archive entry '{entry.Name}' is not named by a sha256 digest (64 lower-case hex digits)");
                        }

                        var keep = entry.Length <= limits.MaxMetadataBytes && metadataBytes + entry.Length <= 16L * limits.MaxMetadataBytes;
                        var target = extractTo is not null && wanted!.Contains(digest) && !contents.Blobs.ContainsKey(digest) ? Path.Combine(extractTo, "blobs", "sha256", digest[7..]) : null;
                        var kept = await HashBlobAsync(data, digest, keep, target, cancellationToken);
                        contents.Blobs[digest] = entry.Length;
                        if (kept is not null)
                        {
                            contents.Metadata[digest] = kept;
                            metadataBytes += kept.Length;
                        }

                        break;
                    case not null when name.StartsWith("blobs/", StringComparison.Ordinal):
                        throw new ImageException($"the archive entry '{entry.Name}' uses a digest algorithm other than sha256, which Ferry does not support");
                    default:
                        break; // other files (README, …) are not part of the image
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ImageException($"the file is not a tar archive of an OCI image layout: {ex.Message}", ex);
        }

        if (contents.Layout is null || contents.Index is null)
        {
            throw new ImageException(
                "the file is not an OCI image archive: it needs an oci-layout file and an index.json at its top " +
                "(save images with `skopeo copy … oci-archive:FILE` or tar an OCI layout folder)");
        }

        return contents;
    }

    /// <summary>The entry's name without a leading "./"; throws for names that could leave the layout.</summary>
    private static string EntryName(string raw)
    {
        var name = raw;
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        name = name.TrimEnd('/');
        if (name.Length == 0 || name == ".")
        {
            return "";
        }

        if (name.StartsWith('/') || name.Contains('\\') || name.Contains('\0') || name.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new ImageException($"the archive entry '{raw}' has a name outside the image layout");
        }

        return name;
    }

    private static async Task<byte[]> ReadSmallAsync(Stream data, int limit, string what, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await data.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new ImageException($"{what} is larger than {limit} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Hashes a blob, optionally keeping it in memory and copying it to <paramref name="target"/>; throws when the hash is not its name.</summary>
    private static async Task<byte[]?> HashBlobAsync(Stream data, string digest, bool keep, string? target, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var memory = keep ? new MemoryStream() : null;
        await using var copy = target is null ? null : new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            memory?.Write(buffer, 0, read);
            if (copy is not null)
            {
                await copy.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != digest)
        {
            throw new ImageException($"blob {digest} is corrupt: its content hashes to {actual}");
        }

        return memory?.ToArray();
    }

    private static OciImage Select(ArchiveContents contents, ImageLimits limits)
    {
        RequireLayoutVersion(contents.Layout!);
        var candidates = Manifests(contents.Index!, "index.json");
        var manifest = Choose(contents, candidates, depth: 0);
        var manifestJson = Blob(contents, manifest, "the image manifest");
        using var document = ParseJson(manifestJson, $"manifest {manifest.Digest}");
        var root = document.RootElement;
        if (root.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind == JsonValueKind.String && mediaType.GetString() != ManifestMediaType)
        {
            throw new ImageException($"manifest {manifest.Digest} has media type {mediaType.GetString()}; expected {ManifestMediaType}");
        }

        var config = Descriptor(root.TryGetProperty("config", out var c) ? c : default, $"manifest {manifest.Digest}: config");
        if (config.MediaType != ConfigMediaType)
        {
            throw new ImageException($"manifest {manifest.Digest}: the config has media type {config.MediaType}; expected {ConfigMediaType}");
        }

        var layers = new List<OciDescriptor>();
        if (root.TryGetProperty("layers", out var layerList) && layerList.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in layerList.EnumerateArray())
            {
                var layer = Descriptor(item, $"manifest {manifest.Digest}: layer {layers.Count}");
                if (!LayerMediaTypes.Contains(layer.MediaType))
                {
                    throw new ImageException(
                        $"layer {layer.Digest} has media type {layer.MediaType}; Ferry unpacks uncompressed and gzip OCI layers " +
                        "(convert the image with `skopeo copy --dest-compress-format gzip …`)");
                }

                RequireBlob(contents, layer, "a layer");
                layers.Add(layer);
            }
        }

        if (layers.Count > limits.MaxLayers)
        {
            throw new ImageException($"the image has {layers.Count} layers; at most {limits.MaxLayers} are allowed");
        }

        var configJson = Blob(contents, config, "the image config");
        var imageConfig = ImageConfig.Parse(configJson, $"config {config.Digest}");
        if (imageConfig.Os.Length > 0 && imageConfig.Os != "linux")
        {
            throw new ImageException($"the image is for os '{imageConfig.Os}'; Ferry runs linux images");
        }

        var host = HostArchitecture();
        if (imageConfig.Architecture.Length > 0 && host is not null && imageConfig.Architecture != host)
        {
            throw new ImageException($"the image is built for {imageConfig.Architecture}, but this server is {host}");
        }

        return new OciImage(manifest.Digest, manifest, config, imageConfig, layers);
    }

    /// <summary>The image manifest for this platform: the only one, or the one whose platform is linux/this architecture; follows nested indexes.</summary>
    private static OciDescriptor Choose(ArchiveContents contents, IReadOnlyList<(OciDescriptor Descriptor, string? Os, string? Architecture)> candidates, int depth)
    {
        if (candidates.Count == 0)
        {
            throw new ImageException("index.json lists no image");
        }

        var host = HostArchitecture();
        var chosen = candidates.Count == 1
            ? candidates[0]
            : candidates.Where(c => c.Os == "linux" && c.Architecture == host).ToList() is [var only] ? only
            : throw new ImageException(
                $"the archive holds {candidates.Count} images ({string.Join(", ", candidates.Select(c => $"{c.Os ?? "?"}/{c.Architecture ?? "?"}"))}); " +
                $"Ferry needs exactly one, or exactly one for linux/{host}");

        if (chosen.Descriptor.MediaType == IndexMediaType)
        {
            if (depth >= 2)
            {
                throw new ImageException("the archive nests image indexes too deeply");
            }

            var nested = Blob(contents, chosen.Descriptor, "an image index");
            return Choose(contents, Manifests(nested, $"index {chosen.Descriptor.Digest}"), depth + 1);
        }

        if (chosen.Descriptor.MediaType != ManifestMediaType)
        {
            throw new ImageException(
                $"the image {chosen.Descriptor.Digest} has media type {chosen.Descriptor.MediaType}; Ferry runs OCI images ({ManifestMediaType}); " +
                "convert Docker images with `skopeo copy … oci-archive:FILE`");
        }

        return chosen.Descriptor;
    }

    private static List<(OciDescriptor Descriptor, string? Os, string? Architecture)> Manifests(byte[] json, string what)
    {
        using var document = ParseJson(json, what);
        if (!document.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
        {
            throw new ImageException($"{what} has no 'manifests' list");
        }

        var result = new List<(OciDescriptor, string?, string?)>();
        foreach (var item in manifests.EnumerateArray())
        {
            var descriptor = Descriptor(item, $"{what}: manifests[{result.Count}]");
            string? os = null, architecture = null;
            if (item.TryGetProperty("platform", out var platform) && platform.ValueKind == JsonValueKind.Object)
            {
                os = platform.TryGetProperty("os", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
                architecture = platform.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            }

            result.Add((descriptor, os, architecture));
        }

        return result;
    }

    private static OciDescriptor Descriptor(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("mediaType", out var mediaType) || mediaType.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("size", out var size) || !size.TryGetInt64(out var length) || length < 0)
        {
            throw new ImageException($"{what} is not a descriptor with mediaType, digest and size");
        }

        if (!IsDigest(digest.GetString()!))
        {
            throw new ImageException($"{what} has the digest '{digest.GetString()}'; Ferry supports sha256 digests");
        }

        return new OciDescriptor(mediaType.GetString()!, digest.GetString()!, length);
    }

    private static void RequireBlob(ArchiveContents contents, OciDescriptor descriptor, string what)
    {
        if (!contents.Blobs.TryGetValue(descriptor.Digest, out var size))
        {
            throw new ImageException($"{what} {descriptor.Digest} is referenced but missing from the archive");
        }

        if (size != descriptor.Size)
        {
            throw new ImageException($"{what} {descriptor.Digest} is {size} bytes, but its descriptor says {descriptor.Size}");
        }
    }

    private static byte[] Blob(ArchiveContents contents, OciDescriptor descriptor, string what)
    {
        RequireBlob(contents, descriptor, what);
        return contents.Metadata.TryGetValue(descriptor.Digest, out var bytes)
            ? bytes
            : throw new ImageException($"{what} {descriptor.Digest} is too large ({descriptor.Size} bytes) to be metadata");
    }

    private static void RequireLayoutVersion(byte[] layout)
    {
        using var document = ParseJson(layout, "oci-layout");
        if (!document.RootElement.TryGetProperty("imageLayoutVersion", out var version) || version.ValueKind != JsonValueKind.String
            || !version.GetString()!.StartsWith("1.", StringComparison.Ordinal))
        {
            throw new ImageException("oci-layout does not declare imageLayoutVersion 1.x");
        }
    }

    private static JsonDocument ParseJson(byte[] json, string what)
    {
        try
        {
            var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new ImageException($"{what} is not a JSON object");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw new ImageException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    internal static bool IsDigest(string digest) =>
        digest.Length == 7 + 64 && digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The GOARCH name of this machine ("amd64", "arm64"), or null when images don't name it.</summary>
    internal static string? HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.RiscV64 => "riscv64",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        _ => null,
    };
}
