using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Hashes of each build step's inputs after its last success, in <c>.ferry/build-cache.json</c> of the app folder
/// (never packaged: <see cref="PackagePatternSet.DefaultExcludes"/> leaves <c>.ferry/</c> out).
/// </summary>
public sealed class BuildCache
{
    public const string RelativePath = $"{ProjectFiles.FerryFolder}/build-cache.json";

    /// <summary>Folders a source hash skips: dependencies, build outputs and tool state.</summary>
    private static readonly HashSet<string> NotSources = new(StringComparer.Ordinal)
    {
        "node_modules", ".next", ".nuxt", ".output", "dist", "vendor", ProjectFiles.FerryFolder, ".git", ".serverless", "__pycache__",
    };

    /// <summary>Beyond this many files a source hash gives up and the step always runs.</summary>
    private const int MaxSourceFiles = 20_000;

    private readonly string _path;
    private readonly Dictionary<string, string> _hashes;

    private BuildCache(string path, Dictionary<string, string> hashes)
    {
        _path = path;
        _hashes = hashes;
    }

    public static BuildCache Open(ProjectFiles project)
    {
        var path = project.FullPath(RelativePath);
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length <= ProjectFiles.MaxFileBytes)
            {
                var hashes = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path));
                return new BuildCache(path, hashes ?? []);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // A cache that can't be read is an empty cache: the steps run again and rewrite it.
        }

        return new BuildCache(path, []);
    }

    public bool IsCurrent(BuildStep step, string? hash) => hash is not null && _hashes.TryGetValue(step.Name, out var known) && known == hash;

    public async Task RecordAsync(BuildStep step, string? hash, CancellationToken cancellationToken)
    {
        if (hash is null)
        {
            _hashes.Remove(step.Name);
        }
        else
        {
            _hashes[step.Name] = hash;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        await File.WriteAllTextAsync(_path, JsonSerializer.Serialize(_hashes), cancellationToken);
    }

    /// <summary>
    /// SHA-256 of what decides the step's output: its inputs (the named files' contents, or the names, sizes and
    /// modification times of the app's sources) and its <see cref="BuildStep.Fingerprint"/>. Null when it can't be known
    /// (too many files), so the step runs.
    /// </summary>
    public static async Task<string?> HashInputsAsync(ProjectFiles project, BuildStep step, CancellationToken cancellationToken)
    {
        var inputs = step.Inputs;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (step.Fingerprint() is { Length: > 0 } fingerprint)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(fingerprint));
        }

        if (inputs.AllSources)
        {
            var files = SourceFiles(project.Directory).Take(MaxSourceFiles + 1).ToList();
            if (files.Count > MaxSourceFiles)
            {
                return null;
            }

            foreach (var file in files.Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                hash.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(project.Directory, file)}\0{info.Length}\0{info.LastWriteTimeUtc.Ticks}\n"));
            }
        }
        else
        {
            foreach (var file in inputs.Files)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
                var path = project.FullPath(file);
                if (File.Exists(path))
                {
                    hash.AppendData(await File.ReadAllBytesAsync(path, cancellationToken));
                }
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IEnumerable<string> SourceFiles(string directory)
    {
        var pending = new Stack<string>([directory]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo)
                {
                    if (!NotSources.Contains(entry.Name))
                    {
                        pending.Push(entry.FullName);
                    }
                }
                else
                {
                    yield return entry.FullName;
                }
            }
        }
    }
}
