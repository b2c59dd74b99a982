using Ferry.Hub.Reading;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>
/// Reads the <c>template:</c> section of a template's <c>serverless.yml</c> and checks it against the rest of the file:
/// every <c>${param:NAME}</c> written anywhere else must name a declared parameter, and every function listed in
/// <c>template.closedSource</c> must exist and ship compiled code. All problems are reported at once, each with its
/// file, line and column, as a <see cref="ManifestException"/>; warnings come back in the result.
/// </summary>
/// <remarks>
/// The section, in YAML:
/// <code>
/// template:
///   name: image-resizer            # ^[a-z][a-z0-9-]{1,62}$
///   version: 1.2.0                 # semver 2.0
///   description: Resizes uploaded images
///   readme: README.md              # a file of the app (.md, .markdown, .txt), or the text itself
///   author: Jane Doe
///   license: MIT
///   labels: [images, media]
///   closedSource: [resize]         # functions shipped compiled; their files are never served
///   parameters:
///     - name: size
///       type: enum                 # string (default) | number | boolean | enum
///       allowedValues: [small, large]
///       default: small
///     - name: apiKey
///       required: true
///       secret: true
///       pattern: '[A-Za-z0-9]{32}'
/// </code>
/// </remarks>
public static class TemplateDefinitionReader
{
    /// <summary>The name of the manifest inside an app folder.</summary>
    public const string ManifestFileName = "serverless.yml";

    /// <summary>Reads <paramref name="serverlessYmlPath"/>; <c>template.readme</c> file names are resolved next to it.</summary>
    /// <exception cref="ManifestException">The file can't be read or the template has errors.</exception>
    public static TemplateReadResult Read(string serverlessYmlPath)
    {
        ArgumentNullException.ThrowIfNull(serverlessYmlPath);
        var appDirectory = Path.GetDirectoryName(Path.GetFullPath(serverlessYmlPath))!;
        var yaml = ReadText(serverlessYmlPath, ManifestLoader.MaxFileBytes)
            ?? throw Failure($"cannot read {serverlessYmlPath}: the file does not exist");
        return Parse(yaml, Path.GetFileName(serverlessYmlPath), relativePath => ReadAppFile(appDirectory, relativePath));
    }

    /// <summary>
    /// Reads manifest text. <paramref name="fileName"/> is only used in locations. <paramref name="readAppFile"/> gives
    /// the text of a file of the app by its '/'-separated relative path (null when it does not exist); without it a
    /// <c>template.readme</c> that names a file is an error.
    /// </summary>
    /// <exception cref="ManifestException">The template has errors.</exception>
    public static TemplateReadResult Parse(string yaml, string fileName, Func<string, string?>? readAppFile = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        if (yaml.Length > ManifestLoader.MaxFileBytes)
        {
            throw Failure($"{fileName} has {yaml.Length:N0} characters; a manifest may be at most {ManifestLoader.MaxFileBytes:N0}");
        }

        var diagnostics = new DiagnosticList();
        var root = YamlText.ReadRootMapping(yaml, fileName, diagnostics);
        diagnostics.ThrowIfErrors();

        var definition = new TemplateSectionReader(fileName, diagnostics, readAppFile).Read(root!);
        var closedSource = new ClosedSourceResolver(fileName, diagnostics).Resolve(root!);
        var references = ParameterReferenceScanner.Scan(root!, fileName).Distinct().ToList();
        if (definition is not null)
        {
            CheckReferences(definition, references, diagnostics);
        }

        diagnostics.ThrowIfErrors();
        return new TemplateReadResult(definition! with { ClosedSource = closedSource }, references, diagnostics.Warnings);
    }

    private static void CheckReferences(TemplateDefinition definition, List<ParameterReference> references, DiagnosticList diagnostics)
    {
        foreach (var reference in references)
        {
            if (reference.Name.Contains("${", StringComparison.Ordinal))
            {
                diagnostics.Error(reference.Location,
                    $"'${{param:{reference.Name}}}' computes the parameter's name, which a template can't declare; write the name literally");
            }
            else if (definition.FindParameter(reference.Name) is null)
            {
                var declared = definition.Parameters.Count == 0 ? "none are declared" : "declared: " + string.Join(", ", definition.Parameters.Select(p => p.Name));
                diagnostics.Error(reference.Location,
                    $"'${{param:{reference.Name}}}' refers to parameter '{reference.Name}', which template.parameters does not declare ({declared})");
            }
        }

        foreach (var parameter in definition.Parameters.Where(p => references.All(r => r.Name != p.Name)))
        {
            diagnostics.Warning(null, $"parameter '{parameter.Name}' is declared but the app never reads it as ${{param:{parameter.Name}}}");
        }
    }

    private static string? ReadAppFile(string appDirectory, string relativePath)
    {
        var fullPath = Path.GetFullPath(Path.Combine(appDirectory, relativePath));
        if (!fullPath.StartsWith(appDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        return ReadText(fullPath, TemplateSectionReader.MaxReadmeCharacters * 4L);
    }

    /// <summary>The file's text, or null when it does not exist.</summary>
    private static string? ReadText(string path, long maxBytes)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > maxBytes)
            {
                throw Failure($"{path} is {stream.Length:N0} bytes; at most {maxBytes:N0} are allowed");
            }

            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Failure($"cannot read {path}: {exception.Message}");
        }
    }

    private static ManifestException Failure(string message) => new([new ManifestDiagnostic(null, message)]);
}

/// <summary>A template read from its serverless.yml.</summary>
/// <param name="Definition">The <c>template:</c> section, with closed-source functions resolved to their files.</param>
/// <param name="References">Every <c>${param:NAME}</c> the app reads, with where it is written.</param>
/// <param name="Warnings">Problems that don't stop publishing (a secret with a default, an unused parameter, an unknown key).</param>
public sealed record TemplateReadResult(
    TemplateDefinition Definition,
    IReadOnlyList<ParameterReference> References,
    IReadOnlyList<ManifestDiagnostic> Warnings);

/// <summary>A <c>${param:NAME}</c> written in the manifest.</summary>
public sealed record ParameterReference(string Name, SourceLocation Location);
