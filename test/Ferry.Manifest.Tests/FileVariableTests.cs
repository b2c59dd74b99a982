namespace Ferry.Manifest.Tests;

/// <summary><c>${file(…)}</c> variables, read from real files in a temporary app folder.</summary>
public sealed class FileVariableTests : IDisposable
{
    private readonly DirectoryInfo app = Directory.CreateTempSubdirectory("ferry-manifest-files-");

    public void Dispose() => app.Delete(recursive: true);

    private string Write(string relativePath, string text)
    {
        var path = Path.Combine(app.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private ManifestLoadResult Load(string manifest, ManifestLoadOptions? options = null) =>
        ManifestLoader.LoadFile(Write("serverless.yml", manifest), options ?? Manifests.Options());

    private IReadOnlyList<ManifestDiagnostic> Errors(string manifest, ManifestLoadOptions? options = null) =>
        Assert.Throws<ManifestException>(() => Load(manifest, options)).Errors;

    private const string Function = """
        functions:
          api:
            handler: index.handler
            environment:
        """;

    [Fact]
    public void Every_file_read_or_looked_for_is_told_once_by_its_full_path()
    {
        Write("config.yml", "a: 1\nb: 2\n");
        var read = new List<string>();

        Load($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  A: ${file(./config.yml):a}
                  B: ${file(config.yml):b}
                  C: ${file(./absent.yml):x, 'default'}
            """, Manifests.Options() with { FileRead = read.Add });

        Assert.Equal([Path.Combine(app.FullName, "config.yml"), Path.Combine(app.FullName, "absent.yml")], read);
    }

    [Fact]
    public void Keys_nested_keys_whole_files_and_fallbacks_resolve_from_yaml_json_and_text_files()
    {
        Write("config.yml", """
            db:
              host: db.internal
              port: 5432
            name: ${self:service}-config
            """);
        Write("secrets.json", "{\n\t\"API_KEY\": \"k-123\",\n\t\"nested\": { \"deep\": [\"zero\", \"one\"] }\n}");
        Write("public_key", "-----BEGIN KEY-----\nabc\n");
        Write("config/qa.yml", "STAGE_VALUE: for-qa");

        var manifest = Load($$"""
            service: app
            provider:
              runtime: nodejs20.x
              stage: qa
            custom: ${file(./config.yml)}
            {{Function}}
                  HOST: ${file(./config.yml):db.host}
                  PORT: ${file(config.yml):db.port}
                  NAME: ${self:custom.name}
                  KEY: ${file(./secrets.json):API_KEY}
                  DEEP: ${file(./secrets.json):nested.deep.1}
                  PUBLIC_KEY: ${file(./public_key)}
                  BY_STAGE: ${file(./config/${sls:stage}.yml):STAGE_VALUE}
                  MISSING_KEY: ${file(./config.yml):nope, 'fallback'}
                  MISSING_FILE: ${file(./absent.yml):x, 'default'}
            """).Manifest;

        var env = Assert.Single(manifest.Functions).Environment;
        Assert.Equal("db.internal", env["HOST"]);
        Assert.Equal("5432", env["PORT"]);
        Assert.Equal("app-config", env["NAME"]);
        Assert.Equal("k-123", env["KEY"]);
        Assert.Equal("one", env["DEEP"]);
        Assert.Equal("-----BEGIN KEY-----\nabc\n", env["PUBLIC_KEY"]);
        Assert.Equal("for-qa", env["BY_STAGE"]);
        Assert.Equal("fallback", env["MISSING_KEY"]);
        Assert.Equal("default", env["MISSING_FILE"]);
    }

    [Fact]
    public void A_whole_file_can_be_a_section_and_its_errors_are_at_lines_of_that_file()
    {
        Write("functions.yml", """
            api:
              handler: index.handler
              memorySize: lots
            """);

        var error = Assert.Single(Errors("""
            service: app
            provider:
              runtime: nodejs20.x
            functions: ${file(./functions.yml)}
            """));

        Assert.Equal(new SourceLocation("functions.yml", 3, 15), error.Location);
        Assert.Contains("functions.api.memorySize must be", error.Message);
    }

    [Fact]
    public void A_missing_key_reached_through_self_is_reported_where_the_file_is_referenced()
    {
        Write("config.yml", "other: 1\n");

        var error = Assert.Single(Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            custom:
              table: ${file(./config.yml):table}
            {{Function}}
                  TABLE: ${self:custom.table}
            """));

        Assert.Equal(new SourceLocation("serverless.yml", 5, 10), error.Location);
        Assert.Equal("cannot resolve '${file(./config.yml):table}': there is no value at 'table' in config.yml and no fallback is given", error.Message);
    }

    [Fact]
    public void Errors_inside_the_referenced_file_point_at_that_file()
    {
        Write("config.yml", """
            ok: 1
            token: ${env:TOKEN}
            """);
        Write("broken.yml", "a: [1, 2\nb: 3\n");

        var errors = Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            custom:
              token: ${file(./config.yml):token}
            {{Function}}
                  TOKEN: ${self:custom.token}
                  BROKEN: ${file(./broken.yml):a}
            """);

        Assert.Collection(errors,
            e => Assert.True(e.Location?.File == "broken.yml" && e.Message.StartsWith("invalid YAML", StringComparison.Ordinal), e.ToString()),
            e =>
            {
                Assert.Equal(new SourceLocation("config.yml", 2, 8), e.Location);
                Assert.Equal("cannot resolve '${env:TOKEN}': environment variable 'TOKEN' is not set and no fallback is given", e.Message);
            });
    }

    [Fact]
    public void A_missing_file_without_fallback_names_the_file()
    {
        var error = Assert.Single(Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  KEY: ${file(./secrets.yml):KEY}
            """));

        Assert.Equal(new SourceLocation("serverless.yml", 8, 12), error.Location);
        Assert.Equal("cannot resolve '${file(./secrets.yml):KEY}': the file secrets.yml does not exist and no fallback is given", error.Message);
    }

    [Fact]
    public void A_missing_file_with_an_example_next_to_it_says_to_copy_the_example()
    {
        Write("config/secrets.example.json", "{}");

        var error = Assert.Single(Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  KEY: ${file(./config/secrets.json):KEY}
            """));

        Assert.Equal("cannot resolve '${file(./config/secrets.json):KEY}': the file config/secrets.json does not exist "
            + "(there is secrets.example.json: copy it to secrets.json and fill it in) and no fallback is given", error.Message);
    }

    [Theory]
    [InlineData("../outside.yml")]
    [InlineData("/etc/hostname")]
    [InlineData("link/outside.yml")]
    public void Paths_may_not_leave_the_app_folder_even_through_a_symbolic_link(string path)
    {
        var outside = Directory.CreateTempSubdirectory("ferry-manifest-outside-");
        try
        {
            File.WriteAllText(Path.Combine(outside.FullName, "outside.yml"), "KEY: secret\n");
            File.WriteAllText(Path.Combine(app.Parent!.FullName, "outside.yml"), "KEY: secret\n");
            Directory.CreateSymbolicLink(Path.Combine(app.FullName, "link"), outside.FullName);

            var error = Assert.Single(Errors($$"""
                service: app
                provider:
                  runtime: nodejs20.x
                {{Function}}
                      KEY: ${file({{path}}):KEY}
                """));

            Assert.Equal(new SourceLocation("serverless.yml", 8, 12), error.Location);
            Assert.StartsWith($"${{file({path})}} points outside the app folder", error.Message);
        }
        finally
        {
            outside.Delete(recursive: true);
            File.Delete(Path.Combine(app.Parent!.FullName, "outside.yml"));
        }
    }

    [Fact]
    public void Referenced_files_are_size_limited_and_scripts_are_refused()
    {
        Write("huge.yml", "KEY: " + new string('x', ManifestLoader.MaxFileBytes));
        Write("config.js", "module.exports = {}");

        var errors = Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  HUGE: ${file(./huge.yml):KEY}
                  SCRIPT: ${file(./config.js):KEY}
            """);

        Assert.Collection(errors,
            e => Assert.Contains("${file(./huge.yml)} is 1,048,581 bytes; a file a manifest refers to may be at most 1,048,576 bytes", e.Message),
            e => Assert.StartsWith("${file(./config.js)} is a script", e.Message));
    }

    [Fact]
    public void A_file_name_may_be_built_from_options_with_an_old_style_fallback()
    {
        Write("secrets.dev.yml", "TOKEN: dev-token\n");
        Write("secrets.prod.yml", "TOKEN: prod-token\n");
        var manifest = $$"""
            service: app
            provider:
              runtime: nodejs20.x
              stage: dev
            custom:
              secrets: ${file(secrets.${opt:stage, self:provider.stage}.yml)}
            {{Function}}
                  TOKEN: ${self:custom.secrets.TOKEN}
            """;

        Assert.Equal("dev-token", Load(manifest).Manifest.Functions[0].Environment["TOKEN"]);
        Assert.Equal("prod-token", Load(manifest, Manifests.Options(stage: "prod")).Manifest.Functions[0].Environment["TOKEN"]);
    }

    [Fact]
    public void Files_that_refer_to_each_other_in_a_circle_are_an_error_naming_the_files()
    {
        Write("a.yml", "value: ${file(./b.yml):value}\n");
        Write("b.yml", "value: ${file(./a.yml):value}\n");

        var error = Assert.Single(Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  VALUE: ${file(./a.yml):value}
            """));

        Assert.Equal(new SourceLocation("a.yml", 1, 8), error.Location);
        Assert.Equal("circular variable reference: a.yml:value → b.yml:value → a.yml:value", error.Message);
    }

    [Fact]
    public void File_without_parentheses_and_other_sources_with_them_are_errors()
    {
        var errors = Errors($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  A: ${file:config.yml}
                  B: ${env(x):HOME}
            """);

        Assert.Collection(errors,
            e => Assert.Equal("'${file:config.yml}' must name the file in parentheses, for example ${file(./config.yml):config.yml}", e.Message),
            e => Assert.Equal("'env(x)' takes no parameter in parentheses; write ${env:HOME}", e.Message));
    }

    [Fact]
    public void Manifest_text_without_a_folder_cannot_refer_to_files()
    {
        var error = Manifests.SingleError($$"""
            service: app
            provider:
              runtime: nodejs20.x
            {{Function}}
                  KEY: ${file(./config.yml):KEY}
            """);

        Assert.StartsWith("${file(./config.yml)} can't be used here", error.Message);
    }
}
