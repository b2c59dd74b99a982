using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Ferry.Hub.Packaging;
using Ferry.Hub.Reading;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>
/// Opens an untrusted template package (see <see cref="TemplatePackager"/> for the layout). Opening checks the
/// structure — exactly the entries template.json, app.zip and optionally signature.json, nothing else, no path in any
/// name — and hashes everything; <see cref="TemplatePackage.VerifySignature"/> then says whether the content is what
/// a trusted key signed.
/// </summary>
public static class TemplatePackageReader
{
    private static readonly string[] KnownEntries = [PackageFormat.TemplateEntry, PackageFormat.AppArchiveEntry, PackageFormat.SignatureEntry];

    public static Task<TemplatePackage> OpenAsync(Stream package, CancellationToken cancellationToken) =>
        OpenAsync(package, new TemplatePackageLimits(), cancellationToken);

    /// <exception cref="TemplatePackageException">The package is corrupt, has unexpected or unsafe entries, lacks template.json or app.zip, or exceeds <paramref name="limits"/>.</exception>
    public static async Task<TemplatePackage> OpenAsync(Stream package, TemplatePackageLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(limits);

        var workingDirectory = limits.WorkingDirectory ?? Path.GetTempPath();
        await using var packageFile = TemporaryFile.Create(workingDirectory);
        await CopyBoundedAsync(package, packageFile.Stream, limits.MaxPackageBytes, "the package", cancellationToken);
        packageFile.Stream.Position = 0;

        var appFile = TemporaryFile.Create(workingDirectory);
        try
        {
            ZipArchive zip;
            try
            {
                zip = await ZipArchive.CreateAsync(packageFile.Stream, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
            }
            catch (InvalidDataException exception)
            {
                throw new TemplatePackageException($"the package is not a valid zip archive: {exception.Message}", exception);
            }

            await using (zip)
            {
                var entries = CheckEntries(zip);
                var templateJson = await ReadBoundedAsync(entries[PackageFormat.TemplateEntry], limits.MaxTemplateJsonBytes, cancellationToken);
                var signature = entries.TryGetValue(PackageFormat.SignatureEntry, out var signatureEntry)
                    ? ParseSignature(await ReadBoundedAsync(signatureEntry, limits.MaxSignatureJsonBytes, cancellationToken))
                    : null;

                await using (var appContent = await entries[PackageFormat.AppArchiveEntry].OpenAsync(cancellationToken))
                {
                    await CopyBoundedAsync(appContent, appFile.Stream, limits.MaxPackageBytes, PackageFormat.AppArchiveEntry, cancellationToken);
                }

                appFile.Stream.Position = 0;
                var (appSha256, _) = await AppArchiveIndex.HashAsync(appFile.Stream, long.MaxValue, cancellationToken);
                appFile.Stream.Position = 0;
                var appEntries = await IndexAppAsync(appFile.Stream, limits, cancellationToken);
                var document = ParseDocument(templateJson);
                var app = ReadAppTemplate(appFile.Stream);
                return new TemplatePackage(document, templateJson, appSha256, appEntries, signature, app, appFile);
            }
        }
        catch
        {
            await appFile.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, ZipArchiveEntry> CheckEntries(ZipArchive zip)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            var name = entry.FullName;
            if (name.Contains("..", StringComparison.Ordinal) || name.Contains('/') || name.Contains('\\') || name.Contains(':'))
            {
                throw new TemplatePackageException(
                    $"the package entry '{name}' is rejected: a package holds only {string.Join(", ", KnownEntries)} at its top level, and no entry name may contain a path");
            }

            if (!KnownEntries.Contains(name, StringComparer.Ordinal))
            {
                throw new TemplatePackageException($"the package has an unexpected entry '{name}'; a package holds only {string.Join(", ", KnownEntries)}");
            }

            if (!entries.TryAdd(name, entry))
            {
                throw new TemplatePackageException($"the package has the entry '{name}' twice");
            }
        }

        foreach (var required in new[] { PackageFormat.TemplateEntry, PackageFormat.AppArchiveEntry })
        {
            if (!entries.ContainsKey(required))
            {
                throw new TemplatePackageException($"the package has no {required}; it was not made by 'ferry template publish' or is truncated");
            }
        }

        return entries;
    }

    private static TemplateDocument ParseDocument(byte[] json)
    {
        TemplateDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<TemplateDocument>(json, PackageFormat.Json);
        }
        catch (JsonException exception)
        {
            var where = exception.Path is { Length: > 0 } path ? $" at {path}" : "";
            throw new TemplatePackageException($"{PackageFormat.TemplateEntry} is invalid{where}: {exception.Message}", exception);
        }

        if (document is null)
        {
            throw new TemplatePackageException($"{PackageFormat.TemplateEntry} is null; expected an object");
        }

        if (document.Format != TemplateDocument.CurrentFormat)
        {
            throw new TemplatePackageException(
                $"{PackageFormat.TemplateEntry} has format {document.Format}; this version of Ferry reads format {TemplateDocument.CurrentFormat}");
        }

        return document;
    }

    /// <summary>The signature document, or a description of why it can't be used (reported by verification).</summary>
    private static SignatureEntryContent ParseSignature(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<SignatureDocument>(json, PackageFormat.Json) is { } document
                ? new SignatureEntryContent(document, null)
                : new SignatureEntryContent(null, $"{PackageFormat.SignatureEntry} is null");
        }
        catch (JsonException exception)
        {
            return new SignatureEntryContent(null, $"{PackageFormat.SignatureEntry} is invalid: {exception.Message}");
        }
    }

    private static async Task<List<IndexedEntry>> IndexAppAsync(Stream appArchive, TemplatePackageLimits limits, CancellationToken cancellationToken)
    {
        try
        {
            return await AppArchiveIndex.ReadAsync(appArchive, limits.AppArchive, cancellationToken);
        }
        catch (InvalidDataException exception)
        {
            throw new TemplatePackageException($"{PackageFormat.AppArchiveEntry} is rejected: {exception.Message}", exception);
        }
    }

    /// <summary>Reads the template section of the serverless.yml inside app.zip, as the consumer would deploy it.</summary>
    private static AppTemplate ReadAppTemplate(Stream appArchive)
    {
        appArchive.Position = 0;
        using var zip = new ZipArchive(appArchive, ZipArchiveMode.Read, leaveOpen: true);
        string? ReadText(string path)
        {
            var entry = zip.GetEntry(path);
            if (entry is null || entry.Length > ManifestLoader.MaxFileBytes)
            {
                return null;
            }

            // The declared length can lie; read at most one byte past the limit to be sure.
            using var content = entry.Open();
            var bytes = new byte[ManifestLoader.MaxFileBytes + 1];
            var length = content.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            return length > ManifestLoader.MaxFileBytes ? null : DecodeText(bytes, length);
        }

        var yaml = ReadText(TemplateDefinitionReader.ManifestFileName);
        if (yaml is null)
        {
            return new AppTemplate(null, null, $"{PackageFormat.AppArchiveEntry} has no {TemplateDefinitionReader.ManifestFileName}");
        }

        try
        {
            var definition = TemplateDefinitionReader.Parse(yaml, TemplateDefinitionReader.ManifestFileName, ReadText).Definition;
            return new AppTemplate(yaml, definition, null);
        }
        catch (ManifestException exception)
        {
            return new AppTemplate(yaml, null, $"the {TemplateDefinitionReader.ManifestFileName} in {PackageFormat.AppArchiveEntry} is invalid: {exception.Message}");
        }
    }

    /// <summary>Decodes like <see cref="TemplateDefinitionReader.Read"/> reads files: UTF-8 unless a byte order mark says otherwise.</summary>
    private static string DecodeText(byte[] bytes, int length)
    {
        using var reader = new StreamReader(new MemoryStream(bytes, 0, length), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static async Task<byte[]> ReadBoundedAsync(ZipArchiveEntry entry, int maxBytes, CancellationToken cancellationToken)
    {
        if (entry.Length > maxBytes)
        {
            throw new TemplatePackageException($"{entry.FullName} is {entry.Length:N0} bytes; at most {maxBytes:N0} are allowed");
        }

        using var buffer = new MemoryStream();
        await using var content = await entry.OpenAsync(cancellationToken);
        await CopyBoundedAsync(content, buffer, maxBytes, entry.FullName, cancellationToken);
        return buffer.ToArray();
    }

    private static async Task CopyBoundedAsync(Stream source, Stream destination, long maxBytes, string what, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        var total = 0L;
        int read;
        try
        {
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new TemplatePackageException($"{what} is larger than the {maxBytes:N0} bytes allowed");
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (InvalidDataException exception)
        {
            throw new TemplatePackageException($"{what} is corrupt: {exception.Message}", exception);
        }
    }
}

internal sealed record SignatureEntryContent(SignatureDocument? Document, string? Problem);

/// <summary>The serverless.yml inside app.zip and the definition read from it, or why it could not be read.</summary>
internal sealed record AppTemplate(string? Yaml, TemplateDefinition? Definition, string? Problem);
