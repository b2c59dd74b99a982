namespace Ferry.Runtime.Images;

/// <summary>Bounds on what an image archive may make Ferry read, keep in memory and write to disk.</summary>
public sealed record ImageLimits
{
    /// <summary>Largest image archive file.</summary>
    public long MaxArchiveBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Largest index.json, manifest or config blob (they are read into memory).</summary>
    public int MaxMetadataBytes { get; init; } = 1024 * 1024;

    /// <summary>Most blobs and other files in an archive.</summary>
    public int MaxArchiveEntries { get; init; } = 4096;

    public int MaxLayers { get; init; } = 128;

    /// <summary>Sum of the sizes of every file in every layer, uncompressed: what the rootfs may take on disk.</summary>
    public long MaxUnpackedBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Most entries (files, folders, links) over all layers.</summary>
    public int MaxLayerEntries { get; init; } = 500_000;

    /// <summary>Longest umoci may take to unpack one image.</summary>
    public TimeSpan UnpackTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
