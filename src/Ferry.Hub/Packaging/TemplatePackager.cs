using System.IO.Compression;
using System.Text.Json;
using Ferry.Hub.Packaging;
using Ferry.Manifest;
using Ferry.Packaging;

namespace Ferry.Hub;

/// <summary>
/// Builds a signed template package from an app folder (what <c>ferry template publish</c> uploads). The package is a
/// zip of three entries:
/// <list type="bullet">
/// <item><c>template.json</c> — a <see cref="TemplateDocument"/>: the definition, app.zip's hash, and every app file
/// with its SHA-256, closed-source files marked;</item>
/// <item><c>app.zip</c> — the app folder as <see cref="AppArchive"/> packages it (honouring <c>package.patterns</c>);</item>
/// <item><c>signature.json</c> — <c>{ keyId, algorithm: "ed25519", signature }</c>, the base64 ed25519 signature of
/// a message made of the SHA-256 of template.json's exact bytes and the SHA-256 of app.zip.</item>
/// </list>
/// Packaging the same folder twice gives the same <see cref="TemplatePackageSummary.PackageDigest"/> (and the same bytes).
/// </summary>
public static class TemplatePackager
{
    /// <summary>Validates the template in <paramref name="appDirectory"/>, packages and signs it into <paramref name="output"/> (left open).</summary>
    /// <exception cref="ManifestException">The template or manifest has errors, or a closed-source function's files are missing.</exception>
    /// <exception cref="ArchiveException">The folder can't be archived (for example a symlink pointing outside it).</exception>
    public static async Task<TemplatePackageSummary> CreateAsync(
        string appDirectory, TemplateSigningKey signingKey, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appDirectory);
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(output);

        var manifestPath = Path.Combine(appDirectory, TemplateDefinitionReader.ManifestFileName);
        var read = TemplateDefinitionReader.Read(manifestPath);
        var yaml = await File.ReadAllTextAsync(manifestPath, cancellationToken);
        var review = TemplateReviewManifest.Load(yaml, TemplateDefinitionReader.ManifestFileName, read.Definition);

        await using var appArchive = TemporaryFile.Create(Path.GetTempPath());
        await AppArchive.CreateAsync(appDirectory, appArchive.Stream, review.Manifest.PackagePatterns, progress: null, cancellationToken);
        appArchive.Stream.Position = 0;
        var (appSha256, appSize) = await AppArchiveIndex.HashAsync(appArchive.Stream, long.MaxValue, cancellationToken);
        appArchive.Stream.Position = 0;
        var entries = await AppArchiveIndex.ReadAsync(appArchive.Stream, new ArchiveLimits(), cancellationToken);

        var files = MarkClosedSource(read.Definition, entries);
        var document = new TemplateDocument
        {
            Template = read.Definition,
            AppArchive = new PackagedArchive(appSha256, appSize),
            Files = files,
        };
        var templateJson = JsonSerializer.SerializeToUtf8Bytes(document, PackageFormat.Json);
        var templateSha256 = PackageFormat.Sha256(templateJson);
        var signature = new SignatureDocument(
            signingKey.KeyId, PackageFormat.Algorithm, Convert.ToBase64String(signingKey.Sign(PackageFormat.SignedMessage(templateSha256, appSha256))));

        var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        await using (zip)
        {
            await WriteEntryAsync(zip, PackageFormat.TemplateEntry, CompressionLevel.Optimal, new MemoryStream(templateJson), cancellationToken);
            appArchive.Stream.Position = 0;
            await WriteEntryAsync(zip, PackageFormat.AppArchiveEntry, CompressionLevel.NoCompression, appArchive.Stream, cancellationToken);
            var signatureJson = JsonSerializer.SerializeToUtf8Bytes(signature, PackageFormat.Json);
            await WriteEntryAsync(zip, PackageFormat.SignatureEntry, CompressionLevel.Optimal, new MemoryStream(signatureJson), cancellationToken);
        }

        var warnings = read.Warnings.Concat(review.Warnings).ToList();
        return new TemplatePackageSummary(read.Definition, PackageFormat.Digest(templateSha256, appSha256), signingKey.KeyId, files, warnings);
    }

    /// <summary>Marks the files of closed-source functions, which must be regular files of the archive.</summary>
    private static List<PackagedFile> MarkClosedSource(TemplateDefinition definition, List<IndexedEntry> entries)
    {
        var problems = new List<ManifestDiagnostic>();
        if (!entries.Any(entry => entry.Path == TemplateDefinitionReader.ManifestFileName))
        {
            problems.Add(new ManifestDiagnostic(null,
                $"{TemplateDefinitionReader.ManifestFileName} is not in the package; remove the package.patterns entry that excludes it"));
        }

        var closedFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var function in definition.ClosedSource)
        {
            foreach (var file in function.Files)
            {
                var entry = entries.FirstOrDefault(e => e.Path == file);
                if (entry is null || entry.IsSymlink)
                {
                    var what = entry is null ? "is not in the package (missing, or excluded by package.patterns)" : "is a symlink; ship the compiled file itself";
                    problems.Add(new ManifestDiagnostic(null, $"closed-source function '{function.Function}' needs the file '{file}', which {what}"));
                }

                closedFiles.Add(file);
            }
        }

        if (problems.Count > 0)
        {
            throw new ManifestException(problems);
        }

        return [.. entries.Select(entry => new PackagedFile(entry.Path, entry.Sha256, entry.Size, closedFiles.Contains(entry.Path)))];
    }

    private static async Task WriteEntryAsync(ZipArchive zip, string name, CompressionLevel level, Stream content, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, level);
        entry.LastWriteTime = PackageFormat.EntryTimestamp;
        await using var destination = await entry.OpenAsync(cancellationToken);
        await content.CopyToAsync(destination, cancellationToken);
    }
}

/// <summary>What <see cref="TemplatePackager.CreateAsync"/> produced.</summary>
/// <param name="PackageDigest">The content hash (lowercase hex SHA-256); equal packages of one version have equal digests.</param>
/// <param name="Warnings">Warnings about the template and its manifest.</param>
public sealed record TemplatePackageSummary(
    TemplateDefinition Definition,
    string PackageDigest,
    string KeyId,
    IReadOnlyList<PackagedFile> Files,
    IReadOnlyList<ManifestDiagnostic> Warnings);
