using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Ferry.Server.WebConsole;

/// <summary>One file of the console: its bytes, media type and a content hash as entity tag.</summary>
public sealed record ConsoleAsset(string Path, byte[] Content, string ContentType, EntityTagHeaderValue ETag);

/// <summary>
/// The console's static files (HTML, ES modules, CSS), embedded in this assembly and read once at start: a few tens of
/// KiB, so serving them from memory beats opening resource streams per request.
/// </summary>
public sealed class ConsoleAssets
{
    /// <summary>Where the files sit in the project, which is also their root in the embedded manifest.</summary>
    public const string Root = "Console/wwwroot";

    private readonly FrozenDictionary<string, ConsoleAsset> _byPath;

    private ConsoleAssets(FrozenDictionary<string, ConsoleAsset> byPath) => _byPath = byPath;

    public int Count => _byPath.Count;

    /// <summary>Reads every file of <paramref name="files"/>; fails when it holds no <c>index.html</c>.</summary>
    public static ConsoleAssets Load(IFileProvider files)
    {
        var types = new FileExtensionContentTypeProvider();
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        Collect(files, "", types, assets);
        if (!assets.ContainsKey("index.html"))
        {
            throw new InvalidOperationException($"The console's files are missing: no index.html among the {assets.Count} files embedded under {Root}");
        }

        return new ConsoleAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file at <paramref name="path"/> (relative, '/'-separated; empty means index.html), or null.</summary>
    public ConsoleAsset? Find(string? path)
        => _byPath.GetValueOrDefault(string.IsNullOrEmpty(path) ? "index.html" : path);

    private static void Collect(IFileProvider files, string directory, FileExtensionContentTypeProvider types, Dictionary<string, ConsoleAsset> into)
    {
        foreach (var entry in files.GetDirectoryContents("/" + directory))
        {
            var path = directory.Length == 0 ? entry.Name : $"{directory}/{entry.Name}";
            if (entry.IsDirectory)
            {
                Collect(files, path, types, into);
                continue;
            }

            using var stream = entry.CreateReadStream();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var contentType = types.TryGetContentType(entry.Name, out var known) ? known : "application/octet-stream";
            if (contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.EndsWith("javascript", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
            into[path] = new ConsoleAsset(path, content, contentType, new EntityTagHeaderValue($"\"{hash}\""));
        }
    }
}
