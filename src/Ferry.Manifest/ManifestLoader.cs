using Ferry.Manifest.Components;
using Ferry.Manifest.Loading;

namespace Ferry.Manifest;

/// <summary>
/// Loads a Serverless Framework v3 style <c>serverless.yml</c> (the subset Ferry supports) into a
/// <see cref="ServiceManifest"/>, resolving variables for the selected stage. All problems are reported at once:
/// errors as a <see cref="ManifestException"/>, warnings in the result.
/// </summary>
public static class ManifestLoader
{
    /// <summary>Larger files are refused before parsing; real manifests are a few kilobytes.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>
    /// Reads and loads <paramref name="path"/> (YAML, or JSON for a <c>.json</c> file); locations in messages use the
    /// file's name, and <c>${file()}</c> paths are relative to its folder.
    /// </summary>
    /// <exception cref="ManifestException">The file can't be read, is too large, or has errors.</exception>
    public static ManifestLoadResult LoadFile(string path, ManifestLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);

        var fileName = Path.GetFileName(path);
        string yaml;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
            {
                throw Failure($"{path} is {stream.Length:N0} bytes; a manifest may be at most {MaxFileBytes:N0} bytes (1 MiB)");
            }

            using var text = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            yaml = text.ReadToEnd();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            var reason = exception is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : exception.Message;
            throw Failure($"cannot read {path}: {reason}");
        }

        if (string.Equals(Path.GetExtension(path), ".json", StringComparison.OrdinalIgnoreCase))
        {
            // serverless.json: JSON is read as YAML, which allows no tabs between tokens; a raw tab in a JSON string is invalid anyway.
            yaml = yaml.Replace('\t', ' ');
        }

        return Parse(yaml, fileName, Path.GetDirectoryName(Path.GetFullPath(path)), options);
    }

    /// <summary>
    /// Loads manifest text; <paramref name="fileName"/> is only used in locations of messages. The text has no folder,
    /// so <c>${file()}</c> variables in it are errors.
    /// </summary>
    /// <exception cref="ManifestException">The text has errors.</exception>
    public static ManifestLoadResult Parse(string yaml, string fileName, ManifestLoadOptions options) => Parse(yaml, fileName, null, options);

    /// <summary>Loads manifest text whose <c>${file()}</c> paths are relative to <paramref name="directory"/> (and must stay in it).</summary>
    /// <exception cref="ManifestException">The text has errors.</exception>
    public static ManifestLoadResult Parse(string yaml, string fileName, string? directory, ManifestLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(options);

        if (yaml.Length > MaxFileBytes)
        {
            throw Failure($"{fileName} has {yaml.Length:N0} characters; a manifest may be at most {MaxFileBytes:N0} (1 MiB)");
        }

        var diagnostics = new DiagnosticBag(fileName);
        var root = YamlDocumentReader.ReadRootMapping(yaml, fileName, diagnostics);
        diagnostics.ThrowIfErrors();
        if (ComponentTranslator.IsComponentFile(root!))
        {
            // The Serverless Components format is read as the serverless.yml it stands for.
            // Errors found while translating are reported with the reader's, so the user sees all of them at once.
            root = new ComponentTranslator(fileName, options, diagnostics).Translate(root!);
            if (root is null)
            {
                diagnostics.ThrowIfErrors();
                throw new InvalidOperationException("the component translator returned nothing without reporting an error");
            }
        }

        var resolver = new VariableResolver(root!, fileName, directory, options, diagnostics);
        var manifest = new ManifestReader(resolver, new ValueReader(diagnostics), options).Read(root!);
        diagnostics.ThrowIfErrors();

        return new ManifestLoadResult(
            manifest ?? throw new InvalidOperationException("the manifest reader returned nothing without reporting an error"),
            diagnostics.Warnings);
    }

    private static ManifestException Failure(string message) => new([new ManifestDiagnostic(null, message)]);
}
