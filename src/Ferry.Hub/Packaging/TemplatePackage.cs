using System.Text.Json;
using Ferry.Hub.Packaging;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>
/// An opened template package (from <see cref="TemplatePackageReader"/>). Nothing in it is trusted until
/// <see cref="VerifySignature"/> succeeds. Holds app.zip in a scratch file until disposed.
/// </summary>
public sealed class TemplatePackage : IAsyncDisposable
{
    private readonly byte[] templateJson;
    private readonly string appArchiveSha256;
    private readonly IReadOnlyList<IndexedEntry> appEntries;
    private readonly SignatureEntryContent? signature;
    private readonly AppTemplate app;
    private readonly TemporaryFile appArchive;
    private readonly HashSet<string> closedSourceFiles;

    internal TemplatePackage(
        TemplateDocument document, byte[] templateJson, string appArchiveSha256, IReadOnlyList<IndexedEntry> appEntries,
        SignatureEntryContent? signature, AppTemplate app, TemporaryFile appArchive)
    {
        Document = document;
        this.templateJson = templateJson;
        this.appArchiveSha256 = appArchiveSha256;
        this.appEntries = appEntries;
        this.signature = signature;
        this.app = app;
        this.appArchive = appArchive;
        var templateSha256 = PackageFormat.Sha256(templateJson);
        PackageDigest = PackageFormat.Digest(templateSha256, appArchiveSha256);
        closedSourceFiles = document.Template.ClosedSource.SelectMany(function => function.Files).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>template.json as it is in the package.</summary>
    public TemplateDocument Document { get; }

    public TemplateDefinition Definition => Document.Template;

    public IReadOnlyList<PackagedFile> Files => Document.Files;

    /// <summary>
    /// The content hash (lowercase hex SHA-256 over template.json and app.zip, not the signature): the hub refuses a
    /// second publication of a version whose digest differs from the first.
    /// </summary>
    public string PackageDigest { get; }

    /// <summary>The key id signature.json names; null when there is no usable signature.</summary>
    public string? KeyId => signature?.Document?.KeyId;

    /// <summary>True when <paramref name="path"/> (app-relative) holds a closed-source function's code: never serve or show it.</summary>
    public bool IsClosedSource(string path) => closedSourceFiles.Contains(path);

    /// <summary>
    /// Checks, in order: there is a well-formed ed25519 signature; its key is trusted; it matches template.json and
    /// app.zip; every app file matches its hash in template.json; the definition in template.json is the one in the
    /// packaged serverless.yml. The first failure is returned, with a message that says what was wrong.
    /// </summary>
    public SignatureVerification VerifySignature(TrustedKeys trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        if (signature is null)
        {
            return Fail(SignatureFailure.MissingSignature, $"the package has no {PackageFormat.SignatureEntry}: it is not signed");
        }

        if (signature.Document is not { } document)
        {
            return Fail(SignatureFailure.MalformedSignature, signature.Problem!);
        }

        if (!string.Equals(document.Algorithm, PackageFormat.Algorithm, StringComparison.Ordinal))
        {
            return Fail(SignatureFailure.MalformedSignature, $"the signature uses algorithm '{document.Algorithm}'; only '{PackageFormat.Algorithm}' is accepted", document.KeyId);
        }

        if (trustedKeys.Find(document.KeyId) is not { } key)
        {
            return Fail(SignatureFailure.UnknownKey, $"the package is signed with key {document.KeyId}, which is not a trusted key", document.KeyId);
        }

        byte[] signatureBytes;
        try
        {
            signatureBytes = Convert.FromBase64String(document.Signature);
        }
        catch (FormatException)
        {
            return Fail(SignatureFailure.MalformedSignature, "the signature in signature.json is not valid base64", document.KeyId);
        }

        var message = PackageFormat.SignedMessage(PackageFormat.Sha256(templateJson), appArchiveSha256);
        if (!key.Verify(message, signatureBytes))
        {
            return appArchiveSha256 != Document.AppArchive.Sha256
                ? Fail(SignatureFailure.TamperedContent,
                    $"{PackageFormat.AppArchiveEntry} was changed after signing: its SHA-256 is {appArchiveSha256}, template.json records {Document.AppArchive.Sha256}", document.KeyId)
                : Fail(SignatureFailure.BadSignature,
                    $"the signature of key {document.KeyId} does not match {PackageFormat.TemplateEntry}: it was changed after signing or signed with another key", document.KeyId);
        }

        return CheckFiles(document.KeyId) ?? CheckDefinition(document.KeyId)
            ?? new SignatureVerification(null, $"signed by trusted key {document.KeyId}; content intact", document.KeyId);
    }

    /// <summary>The app's manifest as a reviewer sees it (parameters as placeholders; see <see cref="TemplateReviewManifest"/>).</summary>
    /// <exception cref="TemplatePackageException">app.zip has no serverless.yml.</exception>
    /// <exception cref="ManifestException">The manifest has errors.</exception>
    public ManifestLoadResult LoadReviewManifest() =>
        TemplateReviewManifest.Load(
            app.Yaml ?? throw new TemplatePackageException(app.Problem ?? $"{PackageFormat.AppArchiveEntry} has no serverless.yml"),
            TemplateDefinitionReader.ManifestFileName,
            Definition);

    /// <summary>A new read-only stream of app.zip, for <c>AppArchive.ExtractAsync</c>; valid until the package is disposed.</summary>
    public Stream OpenAppArchive() =>
        new FileStream(appArchive.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public ValueTask DisposeAsync() => appArchive.DisposeAsync();

    private SignatureVerification? CheckFiles(string keyId)
    {
        var recorded = Document.Files.ToDictionary(file => file.Path, StringComparer.Ordinal);
        foreach (var entry in appEntries)
        {
            if (!recorded.Remove(entry.Path, out var file))
            {
                return Fail(SignatureFailure.TamperedContent, $"'{entry.Path}' is in {PackageFormat.AppArchiveEntry} but not listed in {PackageFormat.TemplateEntry}", keyId);
            }

            if (file.Sha256 != entry.Sha256 || file.Size != entry.Size)
            {
                return Fail(SignatureFailure.TamperedContent, $"'{entry.Path}' does not match its SHA-256 in {PackageFormat.TemplateEntry}", keyId);
            }
        }

        return recorded.Count > 0
            ? Fail(SignatureFailure.TamperedContent, $"'{recorded.Keys.First()}' is listed in {PackageFormat.TemplateEntry} but missing from {PackageFormat.AppArchiveEntry}", keyId)
            : null;
    }

    private SignatureVerification? CheckDefinition(string keyId)
    {
        if (app.Definition is null)
        {
            return Fail(SignatureFailure.DefinitionMismatch, app.Problem!, keyId);
        }

        var marked = Document.Files.Where(file => file.ClosedSource).Select(file => file.Path).ToHashSet(StringComparer.Ordinal);
        if (!marked.SetEquals(closedSourceFiles))
        {
            return Fail(SignatureFailure.DefinitionMismatch, $"the closed-source marks of {PackageFormat.TemplateEntry}'s files do not match template.closedSource", keyId);
        }

        var packaged = JsonSerializer.Serialize(Definition, PackageFormat.Json);
        var fromManifest = JsonSerializer.Serialize(app.Definition, PackageFormat.Json);
        return packaged == fromManifest
            ? null
            : Fail(SignatureFailure.DefinitionMismatch,
                $"the definition in {PackageFormat.TemplateEntry} differs from the template section of the serverless.yml in {PackageFormat.AppArchiveEntry}", keyId);
    }

    private static SignatureVerification Fail(SignatureFailure failure, string message, string? keyId = null) => new(failure, message, keyId);
}
