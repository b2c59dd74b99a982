using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Images;

/// <summary>
/// The unpacked images of deployed functions, one folder per image digest (<c>&lt;cache&gt;/&lt;sha256 hex&gt;/rootfs</c>
/// and <c>image.json</c>, the config), shared by every revision and app that ships the same image. An archive is
/// verified (every blob hashed) before its digest is trusted, so two archives share a folder only when they hold
/// the same image. Unpacking goes to a temporary folder first and is renamed into place when complete, so a crash
/// never leaves a half-unpacked image under a digest.
/// </summary>
public sealed partial class ImageStore
{
    private const string Tag = "ferry";
    private const string ConfigFile = "image.json";
    private const string RootfsFolder = "rootfs";
    private const string TemporaryPrefix = ".unpack-";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly ImageLimits _limits;
    private readonly string? _umociPath;
    private readonly string? _jailPath;
    private readonly SandboxUsers? _jailUsers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _unpackGate = new(1, 1);

    /// <summary>Archives already verified by this process; code folders are content-addressed, so an archive path never changes content.</summary>
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), UnpackedImage> _verified = new();

    /// <param name="umociPath">umoci's path; null looks for it on PATH when an image is first unpacked.</param>
    /// <param name="jailPath">bwrap's path, to run umoci with only its work folder writable; null runs umoci directly.</param>
    /// <param name="jailUsers">Where the jail takes a one-off unprivileged user from (when the server can switch users).</param>
    public ImageStore(string cacheDirectory, ILogger logger, ImageLimits? limits = null, string? umociPath = null, string? jailPath = null,
        SandboxUsers? jailUsers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        _logger = logger;
        _limits = limits ?? new ImageLimits();
        _umociPath = umociPath;
        _jailPath = jailPath;
        _jailUsers = jailUsers;
    }

    public string CacheDirectory { get; }

    /// <summary>
    /// The unpacked image of the archive at <paramref name="archivePath"/>: from the cache when its digest was unpacked
    /// before, else unpacked now (one image at a time).
    /// </summary>
    /// <exception cref="ImageException">The archive is missing, not an OCI image archive, over a limit, or could not be unpacked.</exception>
    public async Task<UnpackedImage> EnsureUnpackedAsync(string archivePath, CancellationToken cancellationToken)
    {
        var file = new FileInfo(archivePath);
        if (!file.Exists)
        {
            throw new ImageException("the file does not exist in the app folder");
        }

        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (_verified.TryGetValue(key, out var known) && Directory.Exists(known.RootFilesystem))
        {
            return known;
        }

        var image = await OciArchive.ReadAsync(file.FullName, _limits, cancellationToken);
        var unpacked = await LoadCachedAsync(image.ManifestDigest, cancellationToken);
        if (unpacked is null)
        {
            await _unpackGate.WaitAsync(cancellationToken);
            try
            {
                unpacked = await LoadCachedAsync(image.ManifestDigest, cancellationToken) ?? await UnpackAsync(file.FullName, image, cancellationToken);
            }
            finally
            {
                _unpackGate.Release();
            }
        }
        else
        {
            LogReused(image.ManifestDigest, file.FullName);
        }

        _verified[key] = unpacked;
        return unpacked;
    }

    /// <summary>
    /// The host path of the image archive <paramref name="relativePath"/> (as written in the manifest) in an
    /// extracted app folder. No part of it may be a symlink: an app must not run another app's archive by linking to it.
    /// </summary>
    /// <exception cref="ImageException">The archive is missing, not a regular file, or reached through a symlink.</exception>
    public static string ArchivePathIn(string codeDirectory, string relativePath)
    {
        var path = codeDirectory;
        var segments = relativePath.Split('/');
        if (segments.Any(segment => segment is "" or "." or ".."))
        {
            throw new ImageException("the path must stay inside the app folder");
        }

        foreach (var segment in segments)
        {
            path = Path.Combine(path, segment);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                throw new ImageException("the path goes through a symlink; ship the archive itself in the app folder");
            }

            if (!info.Exists && !Directory.Exists(path))
            {
                throw new ImageException("the file does not exist in the app folder");
            }
        }

        return File.Exists(path) ? path : throw new ImageException("the path is a folder; it must be an OCI image archive (a .tar file)");
    }

    /// <summary>Digests of the images in the cache.</summary>
    public IReadOnlyList<string> CachedDigests() => !Directory.Exists(CacheDirectory)
        ? []
        : [.. Directory.EnumerateDirectories(CacheDirectory).Select(Path.GetFileName).Where(name => OciArchive.IsDigest("sha256:" + name)).Select(name => "sha256:" + name)];

    /// <summary>umoci on PATH, or null when it is not installed.</summary>
    public static string? FindUmoci()
    {
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Path.IsPathFullyQualified)
            .Select(directory => Path.Combine(directory, "umoci")).FirstOrDefault(File.Exists);
    }

    private string FolderOf(string digest) => Path.Combine(CacheDirectory, digest[7..]);

    private async Task<UnpackedImage?> LoadCachedAsync(string digest, CancellationToken cancellationToken)
    {
        var folder = FolderOf(digest);
        var configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath))
        {
            return null;
        }

        await using var stream = File.OpenRead(configPath);
        var config = await JsonSerializer.DeserializeAsync<ImageConfig>(stream, JsonOptions, cancellationToken)
            ?? throw new ImageException($"the cached config of {digest} is empty; delete {folder} to unpack the image again");
        return new UnpackedImage(digest, Path.Combine(folder, RootfsFolder), config);
    }

    private async Task<UnpackedImage> UnpackAsync(string archivePath, OciImage image, CancellationToken cancellationToken)
    {
        var umoci = _umociPath ?? FindUmoci()
            ?? throw new ImageException("umoci, which unpacks images, is not installed on the server; install it with `apt-get install umoci`");
        Directory.CreateDirectory(CacheDirectory);
        var work = Path.Combine(CacheDirectory, TemporaryPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var layout = Path.Combine(work, "layout");
            var rootfs = Path.Combine(work, RootfsFolder);
            await OciArchive.ExtractLayoutAsync(archivePath, image, layout, Tag, _limits, cancellationToken);
            await new ImageUnpacker(umoci, _jailPath, _limits, _jailUsers).UnpackAsync(image, work, layout, Tag, rootfs, cancellationToken);
            RootFilesystem.Prepare(rootfs);
            Directory.Delete(layout, recursive: true);
            await File.WriteAllBytesAsync(Path.Combine(work, ConfigFile), JsonSerializer.SerializeToUtf8Bytes(image.Config, JsonOptions), cancellationToken);

            var folder = FolderOf(image.ManifestDigest);
            try
            {
                Directory.Move(work, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another server process on the same data folder finished the same image first; its copy is as good.
                return await LoadCachedAsync(image.ManifestDigest, cancellationToken)
                    ?? throw new ImageException($"the cache folder {folder} exists but holds no complete image; delete it to unpack again");
            }

            LogUnpacked(image.ManifestDigest, archivePath, stopwatch.ElapsedMilliseconds);
            return new UnpackedImage(image.ManifestDigest, Path.Combine(folder, RootfsFolder), image.Config);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                DeleteTree(work);
            }
        }
    }

    /// <summary>Deletes a folder umoci wrote, whose folders may lack write permission (images may say 0555).</summary>
    internal static void DeleteTree(string path)
    {
        foreach (var directory in Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Prepend(path))
        {
            File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(path, recursive: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Unpacked image {Digest} from {Archive} in {ElapsedMs} ms")]
    private partial void LogUnpacked(string digest, string archive, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Image {Digest} of {Archive} is already unpacked")]
    private partial void LogReused(string digest, string archive);
}
