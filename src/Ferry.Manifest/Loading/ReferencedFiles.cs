using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads the files that <c>${file(path)}</c> variables name, relative to the manifest's folder and never outside it
/// (symbolic links included). YAML and JSON files are parsed (each node keeps its line in that file); other files are
/// text. Each file is read once; sizes and the number of files are limited.
/// </summary>
internal sealed class ReferencedFiles(string? manifestDirectory, DiagnosticBag diagnostics, Action<string>? fileRead = null)
{
    /// <summary>The most distinct files one manifest may refer to.</summary>
    public const int MaxFiles = 100;

    /// <summary>The most bytes all referenced files of one manifest may have together.</summary>
    public const long MaxTotalBytes = 8L * 1024 * 1024;

    private static readonly string[] DataExtensions = [".yml", ".yaml", ".json"];
    private static readonly string[] ScriptExtensions = [".js", ".cjs", ".mjs", ".ts"];

    private readonly Dictionary<string, ReferencedFile> files = new(StringComparer.Ordinal);
    private string? realRoot;
    private long totalBytes;

    /// <summary>
    /// The file <paramref name="path"/> names: its contents (<see cref="ReferencedFile.Exists"/> false if there is no such file),
    /// or null after reporting at <paramref name="location"/> why it can't be used.
    /// </summary>
    public ReferencedFile? Read(string path, SourceLocation location)
    {
        var written = $"${{file({path})}}";
        if (manifestDirectory is null)
        {
            diagnostics.Error(location, $"{written} can't be used here: this manifest was not read from a folder, so there is nothing to read files from");
            return null;
        }

        if (path.Length == 0)
        {
            diagnostics.Error(location, "${file()} needs a path, for example ${file(./config.yml):key}");
            return null;
        }

        realRoot ??= RealPath(Path.GetFullPath(manifestDirectory));
        var fullPath = Path.GetFullPath(Path.Combine(manifestDirectory, path));
        var display = Path.GetRelativePath(manifestDirectory, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        if (!IsInside(realRoot, RealPath(fullPath)))
        {
            diagnostics.Error(location,
                $"{written} points outside the app folder ({realRoot}); a manifest may only read files inside its own folder, so copy the file into it");
            return null;
        }

        if (files.TryGetValue(fullPath, out var known))
        {
            return known;
        }

        if (files.Count >= MaxFiles)
        {
            diagnostics.Error(location, $"{written}: a manifest may refer to at most {MaxFiles} different files");
            return null;
        }

        var extension = Path.GetExtension(fullPath).ToLowerInvariant();
        fileRead?.Invoke(fullPath);
        if (ScriptExtensions.Contains(extension))
        {
            diagnostics.Error(location,
                $"{written} is a script; Ferry reads YAML, JSON and text files but runs no code while loading a manifest. Put the values in a .yml or .json file");
            return null;
        }

        string text;
        try
        {
            if (Directory.Exists(fullPath))
            {
                diagnostics.Error(location, $"{written} is a folder, not a file");
                return null;
            }

            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > ManifestLoader.MaxFileBytes)
            {
                diagnostics.Error(location,
                    $"{written} is {stream.Length:N0} bytes; a file a manifest refers to may be at most {ManifestLoader.MaxFileBytes:N0} bytes (1 MiB)");
                return null;
            }

            totalBytes += stream.Length;
            if (totalBytes > MaxTotalBytes)
            {
                diagnostics.Error(location, $"{written}: the files a manifest refers to may have at most {MaxTotalBytes:N0} bytes (8 MiB) together");
                return null;
            }

            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return files[fullPath] = new ReferencedFile(display, null, null, Exists: false) { Example = ExampleFor(fullPath) };
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            diagnostics.Error(location, $"{written} can't be read: {exception.Message}");
            return null;
        }

        if (!DataExtensions.Contains(extension))
        {
            return files[fullPath] = new ReferencedFile(display, null, text, Exists: true);
        }

        // JSON allows tabs between tokens where YAML does not; a raw tab inside a JSON string is invalid anyway.
        var yaml = extension == ".json" ? text.Replace('\t', ' ') : text;
        if (!YamlDocumentReader.TryReadDocument(yaml, display, diagnostics, out var root))
        {
            return null;
        }

        return files[fullPath] = new ReferencedFile(display, root, null, Exists: true);
    }

    /// <summary>
    /// A file next to a missing one that looks like its template (<c>secrets.example.json</c> for <c>secrets.json</c>,
    /// <c>public_key-example</c> for <c>public_key</c>), as example apps ship them; null if there is none.
    /// </summary>
    private static string? ExampleFor(string missingPath)
    {
        var folder = Path.GetDirectoryName(missingPath);
        var stem = Path.GetFileNameWithoutExtension(missingPath);
        if (folder is null || stem.Length == 0 || !Directory.Exists(folder))
        {
            return null;
        }

        return Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name.StartsWith(stem, StringComparison.Ordinal)
                && (name.Contains("example", StringComparison.OrdinalIgnoreCase) || name.Contains("sample", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private static bool IsInside(string root, string path) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary><paramref name="fullPath"/> with every symbolic link along it followed (parts that don't exist are kept as written).</summary>
    private static string RealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var segments = new Queue<string>(fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var hops = 0;
        while (segments.TryDequeue(out var segment))
        {
            var next = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target && ++hops <= 40)
            {
                var resolved = Path.GetFullPath(Path.Combine(current, target));
                var rest = segments.ToArray();
                var resolvedRoot = Path.GetPathRoot(resolved) ?? "/";
                segments = new Queue<string>(resolved[resolvedRoot.Length..]
                    .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                current = resolvedRoot;
                continue;
            }

            current = next;
        }

        return current;
    }
}

/// <summary>A file a <c>${file()}</c> variable read: YAML/JSON (<see cref="Root"/>, null when empty) or text.</summary>
/// <param name="DisplayName">The path relative to the manifest's folder, as used in messages.</param>
internal sealed record ReferencedFile(string DisplayName, YamlNode? Root, string? Text, bool Exists)
{
    /// <summary>For a missing file: the name of a template of it next to it (<c>secrets.example.json</c>), if any.</summary>
    public string? Example { get; init; }

    public bool IsText => Text is not null;
}
