using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Hub;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry template keygen | key register | publish | list | show | deprecate</c> against a stub server.</summary>
public sealed class TemplateCommandsTests : IDisposable
{
    internal const string TemplateManifest = """
        service: resizer
        provider:
          name: ferry
          runtime: nodejs20.x
        template:
          name: image-resizer
          version: 1.1.0
          description: Resizes uploaded images
          readme: README.md
          parameters:
            - name: size
              type: enum
              allowedValues: [small, large]
              default: small
            - name: apiKey
              required: true
              secret: true
        functions:
          resize:
            handler: handler.resize
            environment:
              SIZE: ${param:size}
              API_KEY: ${param:apiKey}
            events:
              - httpApi: 'POST /resize'
        """;

    private static readonly DateTimeOffset Submitted = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly TestCli _cli = new();
    private readonly string _home;

    public TemplateCommandsTests()
    {
        _home = Path.Combine(_cli.WorkingDirectory, "home");
        _cli.Environment["HOME"] = _home;
    }

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();
    private string Error => _cli.Error.ToString();
    private string DefaultKeyPath => Path.Combine(_home, ".ferry", "signing-key");

    internal static TemplateParameterInfo[] Parameters() =>
    [
        new("size", "enum", "Output size", "small", false, ["small", "large"], null, null, null, false),
        new("apiKey", "string", "Key of the image service", null, true, [], "[A-Za-z0-9]{8,}", null, null, true),
        new("replicas", "number", null, "2", false, [], null, 1, 10, false),
    ];

    internal static TemplateVersionInfo Version(string version, string status, string? changelog = null) => new(
        "image-resizer", version, status, new string('d', 64), "0123456789abcdef", changelog, "Resizes uploaded images",
        Parameters(), [], Submitted, null, null);

    private string WriteSigningKey(TemplateSigningKey key, string? path = null)
    {
        path ??= DefaultKeyPath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, key.Export());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private void WriteTemplate()
    {
        _cli.WriteFile("tpl/serverless.yml", TemplateManifest);
        _cli.WriteFile("tpl/README.md", "# Image resizer\n");
        _cli.WriteFile("tpl/handler.js", "exports.resize = async () => ({ statusCode: 200 });\n");
    }

    [Fact]
    public async Task Keygen_writes_an_owner_only_key_file_and_prints_the_public_key()
    {
        var exitCode = await _cli.RunAsync("template", "keygen");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DefaultKeyPath));
        using var key = TemplateSigningKey.Import(File.ReadAllText(DefaultKeyPath));
        Assert.Contains($"Public key: {key.PublicKey.Export()}", Out);
        Assert.Contains($"Key id:     {key.KeyId}", Out);
        Assert.DoesNotContain(key.Export(), Out + Error);
        Assert.Contains("ferry template key register", Error);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(DefaultKeyPath)!, "*.tmp"));
    }

    [Fact]
    public async Task Keygen_refuses_to_replace_an_existing_key_unless_forced()
    {
        var path = _cli.WriteFile("my-key", "the old key");

        var refused = await _cli.RunAsync("template", "keygen", "--out", "my-key");

        Assert.Equal(ExitCodes.UserError, refused);
        Assert.Equal("the old key", File.ReadAllText(path));
        Assert.Contains("already exists; pass --force", Error);

        var forced = await _cli.RunAsync("template", "keygen", "--out", "my-key", "--force");

        Assert.Equal(ExitCodes.Success, forced);
        using var key = TemplateSigningKey.Import(File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains("--key my-key", Error);
    }

    [Fact]
    public async Task Key_register_sends_only_the_public_key()
    {
        using var key = TemplateSigningKey.Generate();
        WriteSigningKey(key);
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, new SigningKeyInfo(key.KeyId, "acme", key.PublicKey.Export(), Submitted)));

        var exitCode = await _cli.RunAsync("template", "key", "register");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = Assert.Single(_cli.Http.Requests);
        Assert.Equal("/api/v1/signing-keys", request.PathAndQuery);
        Assert.Equal(key.PublicKey.Export(), JsonSerializer.Deserialize<RegisterKeyRequest>(request.Body, ApiJson.Options)!.PublicKey);
        Assert.DoesNotContain(key.Export()[TemplateSigningKey.Prefix.Length..], request.Body);
        Assert.Contains($"Registered signing key {key.KeyId} for tenant acme.", Out);
    }

    [Fact]
    public async Task Key_register_without_a_key_file_says_how_to_create_one()
    {
        var exitCode = await _cli.RunAsync("template", "key", "register");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains($"No signing key at {DefaultKeyPath}; create one with 'ferry template keygen'", Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Publish_uploads_a_package_the_key_verifies_and_the_changelog()
    {
        using var key = TemplateSigningKey.Generate();
        WriteSigningKey(key);
        WriteTemplate();
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.Created, Version("1.1.0", "pending", "Adds webp")));

        var exitCode = await _cli.RunAsync("template", "publish", "--dir", "tpl", "--changelog", "Adds webp");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = Assert.Single(_cli.Http.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v1/templates", request.PathAndQuery);
        Assert.Equal("Adds webp", request.Parts.Single(p => p.Name == "changelog").Text);
        var packagePart = request.Parts.Single(p => p.Name == "package");
        Assert.Equal("application/zip", packagePart.ContentType);

        await using var package = await TemplatePackageReader.OpenAsync(new MemoryStream(packagePart.Content), CancellationToken.None);
        Assert.Equal("image-resizer@1.1.0", package.Definition.Id);
        var verification = package.VerifySignature(new TrustedKeys(key.PublicKey));
        Assert.True(verification.IsValid, verification.Message);
        Assert.Contains(package.Files, f => f.Path == "handler.js");

        Assert.Contains("Submitted image-resizer@1.1.0 for review (pending)", Out);
        Assert.Matches($@"Packaged image-resizer@1\.1\.0: \d+ files, .+, signed with key {key.KeyId}", Error);
    }

    [Fact]
    public async Task Publish_of_an_identical_version_says_it_was_already_published()
    {
        using var key = TemplateSigningKey.Generate();
        WriteSigningKey(key);
        WriteTemplate();
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, Version("1.1.0", "approved")));

        var exitCode = await _cli.RunAsync("template", "publish", "--dir", "tpl");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.DoesNotContain(_cli.Http.Requests.Single().Parts, p => p.Name == "changelog");
        Assert.Contains("image-resizer@1.1.0 was already published with identical content", Out);
    }

    [Fact]
    public async Task Publish_reports_template_errors_with_their_location_and_uploads_nothing()
    {
        using var key = TemplateSigningKey.Generate();
        WriteSigningKey(key);
        WriteTemplate();
        _cli.WriteFile("tpl/serverless.yml", TemplateManifest.Replace("${param:size}", "${param:colour}", StringComparison.Ordinal));

        var exitCode = await _cli.RunAsync("template", "publish", "--dir", "tpl");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Matches(@"serverless\.yml:\d+:\d+: error: .*'\$\{param:colour\}'", Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Publish_outside_a_template_folder_is_a_user_error()
    {
        var exitCode = await _cli.RunAsync("template", "publish", "--dir", "nowhere");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("No serverless.yml in", Error);
    }

    [Fact]
    public async Task Show_lists_versions_and_parameters_without_secret_defaults()
    {
        var info = new TemplateInfo("image-resizer", "acme", "Resizes uploaded images", "# Image resizer\n\nUsage.", "Jane", "MIT", ["images"],
            [Version("1.0.0", "approved"), Version("1.1.0", "pending")]);
        info = info with { Versions = [info.Versions[0] with { Parameters = [.. Parameters().Select(p => p.Secret ? p with { Default = "leaked" } : p)] }, info.Versions[1]] };
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, info));

        var exitCode = await _cli.RunAsync("template", "show", "image-resizer");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/templates/image-resizer", _cli.Http.Requests.Single().PathAndQuery);
        var lines = Out.Split(Environment.NewLine);
        var versions = lines.SkipWhile(l => l != "Versions").Skip(2).Take(2).ToList();
        Assert.Matches(@"^\s+1\.1\.0\s+pending", versions[0]);
        Assert.Matches(@"^\s+1\.0\.0\s+approved", versions[1]);
        Assert.Contains("Parameters of 1.0.0", Out);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+size\s+enum\s+no\s+small\s+small\|large\s+Output size$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+apiKey\s+string \(secret\)\s+yes\s+-\s+/\[A-Za-z0-9\]\{8,\}/\s+Key of the image service$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+replicas\s+number\s+no\s+2\s+1\.\.10$"));
        Assert.DoesNotContain("leaked", Out);
        Assert.Contains("  # Image resizer", Out);
    }

    [Fact]
    public async Task Show_of_an_unknown_version_names_the_existing_ones()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK,
            new TemplateInfo("image-resizer", "acme", "d", null, null, null, [], [Version("1.0.0", "approved")])));

        var exitCode = await _cli.RunAsync("template", "show", "image-resizer@2.0.0");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("Template image-resizer has no version 2.0.0; it has 1.0.0.", Error);
    }

    [Fact]
    public async Task List_passes_the_search_text_and_prints_a_table()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            new TemplateSummary("image-resizer", "acme", "Resizes uploaded images", "1.0.0", ["images", "media"]),
        }));

        var exitCode = await _cli.RunAsync("template", "list", "--search", "image tools");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/templates?search=image%20tools", _cli.Http.Requests.Single().PathAndQuery);
        Assert.Matches(@"\s+image-resizer\s+1\.0\.0\s+acme\s+images,media\s+Resizes uploaded images", Out);
    }

    [Fact]
    public async Task Deprecate_posts_the_decision_for_the_version()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, Version("1.0.0", "deprecated")));

        var exitCode = await _cli.RunAsync("template", "deprecate", "image-resizer@1.0.0", "--comment", "use 1.1.0");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = _cli.Http.Requests.Single();
        Assert.Equal("/api/v1/templates/image-resizer/versions/1.0.0/deprecate", request.PathAndQuery);
        Assert.Equal("use 1.1.0", JsonSerializer.Deserialize<ReviewDecision>(request.Body, ApiJson.Options)!.Comment);
        Assert.Contains("Deprecated image-resizer@1.0.0 (deprecated).", Out);
    }
}
