using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class VariableTests
{
    /// <summary>A manifest whose single function's environment holds the given entries.</summary>
    private static string WithEnvironment(string entries, string extra = "") => $"""
        service: app
        provider:
          runtime: nodejs20.x
        functions:
          api:
            handler: index.handler
            environment:
        {entries}
        {extra}
        """;

    private static IReadOnlyDictionary<string, string> Environment(string entries, ManifestLoadOptions? options = null, string extra = "") =>
        Assert.Single(LoadManifest(WithEnvironment(entries, extra), options).Functions).Environment;

    [Fact]
    public void Self_references_resolve_from_the_document_including_their_own_variables()
    {
        var env = Environment(
            """
                  SERVICE: ${self:service}
                  TABLE: ${self:custom.table}
                  FIRST_ORIGIN: ${self:custom.origins.0}
            """,
            extra: """
            custom:
              prefix: ${self:service}-data
              table: ${self:custom.prefix}-orders
              origins: [https://a.test, https://b.test]
            """);

        Assert.Equal("app", env["SERVICE"]);
        Assert.Equal("app-data-orders", env["TABLE"]);
        Assert.Equal("https://a.test", env["FIRST_ORIGIN"]);
    }

    [Fact]
    public void Self_provider_stage_is_the_selected_stage()
    {
        const string Yaml = """
            service: app
            provider:
              runtime: nodejs20.x
              stage: qa
              region: ${opt:region, 'eu-1'}
            functions:
              api:
                handler: index.handler
                environment:
                  STAGE: ${self:provider.stage}
                  SLS_STAGE: ${sls:stage}
                  REGION: ${self:provider.region}
            """;

        Assert.Equal(("qa", "qa", "eu-1"), Pick(LoadManifest(Yaml)));
        Assert.Equal(("prod", "prod", "eu-1"), Pick(LoadManifest(Yaml, Options(stage: "prod"))));
        Assert.Equal(("prod", "prod", "us-2"), Pick(LoadManifest(Yaml, Options(stage: "prod", options: new Dictionary<string, string> { ["region"] = "us-2" }))));

        static (string, string, string) Pick(ServiceManifest manifest) =>
            manifest.Functions[0].Environment is var env ? (env["STAGE"], env["SLS_STAGE"], env["REGION"]) : default;
    }

    [Fact]
    public void Provider_stage_from_an_opt_variable_with_fallback_selects_the_stage()
    {
        const string Yaml = """
            service: app
            provider:
              runtime: nodejs20.x
              stage: ${opt:stage, 'dev'}
            """;

        Assert.Equal("dev", LoadManifest(Yaml).Provider.Stage);
        Assert.Equal("staging", LoadManifest(Yaml, Options(options: new Dictionary<string, string> { ["stage"] = "staging" })).Provider.Stage);
        Assert.Equal("cli", LoadManifest(Yaml, Options(stage: "cli")).Provider.Stage);
    }

    [Fact]
    public void Opt_env_and_param_sources()
    {
        var env = Environment(
            """
                  MEMORY: ${opt:memory}
                  HOME_DIR: ${env:HOME}
                  KEY: ${param:key}
            """,
            Options(
                env: new Dictionary<string, string> { ["HOME"] = "/home/dev" },
                options: new Dictionary<string, string> { ["memory"] = "512" },
                paramOverrides: new Dictionary<string, string> { ["key"] = "from-cli" }));

        Assert.Equal(("512", "/home/dev", "from-cli"), (env["MEMORY"], env["HOME_DIR"], env["KEY"]));
    }

    [Fact]
    public void Fallbacks_in_every_form()
    {
        var env = Environment(
            """
                  QUOTED: ${env:UNSET, 'quoted default'}
                  DOUBLE_QUOTED: ${env:UNSET, "double"}
                  BARE: ${env:UNSET, bare}
                  NUMBER: ${env:UNSET, 42}
                  TO_SELF: ${opt:stage, self:custom.stage}
                  CHAIN: ${env:UNSET, env:ALSO_UNSET, env:SET}
                  NESTED: ${opt:nothing, ${env:SET}}
                  FIRST_WINS: ${env:SET, 'unused'}
                  COMMA: ${env:UNSET, 'a, b'}
                  EMPTY: ${env:UNSET, ''}
            """,
            Options(env: new Dictionary<string, string> { ["SET"] = "set" }),
            extra: """
            custom:
              stage: from-custom
            """);

        Assert.Equal("quoted default", env["QUOTED"]);
        Assert.Equal("double", env["DOUBLE_QUOTED"]);
        Assert.Equal("bare", env["BARE"]);
        Assert.Equal("42", env["NUMBER"]);
        Assert.Equal("from-custom", env["TO_SELF"]);
        Assert.Equal("set", env["CHAIN"]);
        Assert.Equal("set", env["NESTED"]);
        Assert.Equal("set", env["FIRST_WINS"]);
        Assert.Equal("a, b", env["COMMA"]);
        Assert.Equal("", env["EMPTY"]);
    }

    [Fact]
    public void Several_variables_in_one_string()
    {
        var env = Environment(
            """
                  NAME: ${self:service}-${sls:stage}
                  URL: "https://${env:HOST, 'localhost'}:${opt:port, 8080}/${self:service}/"
            """,
            Options(stage: "test"));

        Assert.Equal("app-test", env["NAME"]);
        Assert.Equal("https://localhost:8080/app/", env["URL"]);
    }

    [Fact]
    public void Variables_inside_an_address_are_resolved_first()
    {
        var env = Environment(
            "      URL: ${self:custom.urls.${sls:stage}}",
            Options(stage: "prod"),
            extra: """
            custom:
              urls:
                dev: http://localhost
                prod: https://example.test
            """);

        Assert.Equal("https://example.test", env["URL"]);
    }

    [Fact]
    public void A_whole_value_variable_keeps_mappings_and_lists()
    {
        var manifest = LoadManifest("""
            service: app
            custom:
              shared:
                LOG_LEVEL: info
                REGION: ${self:provider.region}
              routes:
                - httpApi: GET /a
                - httpApi: GET /b
            provider:
              runtime: nodejs20.x
              environment: ${self:custom.shared}
            functions:
              api:
                handler: index.handler
                events: ${self:custom.routes}
            """);

        var function = Assert.Single(manifest.Functions);
        Assert.Equal(new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["REGION"] = ManifestDefaults.Region }, function.Environment);
        Assert.Equal([new HttpRoute("GET", "/a"), new HttpRoute("GET", "/b")], function.Routes);
    }

    [Fact]
    public void Numbers_from_variables_are_checked_like_literals()
    {
        var function = Assert.Single(LoadManifest("""
            service: app
            provider:
              runtime: nodejs20.x
            custom:
              timeout: 25
            functions:
              api:
                handler: index.handler
                timeout: ${self:custom.timeout}
                memorySize: ${opt:memory, 256}
            """).Functions);

        Assert.Equal((25, 256), (function.Timeout, function.MemorySize));
    }

    [Fact]
    public void Unresolvable_variable_is_an_error_at_its_location()
    {
        var error = SingleError(WithEnvironment("      KEY: ${env:API_KEY}"));

        AssertAt(error, 8, 12);
        Assert.Equal("cannot resolve '${env:API_KEY}': environment variable 'API_KEY' is not set and no fallback is given", error.Message);
    }

    [Theory]
    [InlineData("${self:custom.nothing}", "there is no value at 'custom.nothing' in serverless.yml and no fallback is given")]
    [InlineData("${opt:flag}", "option '--flag' was not given and no fallback is given")]
    [InlineData("${param:token}", "parameter 'token' is not set (not in params.dev, params.default or --param) and no fallback is given")]
    [InlineData("${env:A, env:B}", "environment variable 'A' is not set and none of its fallbacks has a value")]
    public void Each_unresolvable_source_says_why(string variable, string reason)
    {
        var error = SingleError(WithEnvironment($"      KEY: {variable}"));

        Assert.Equal($"cannot resolve '{variable}': {reason}", error.Message);
    }

    [Fact]
    public void Cycles_are_errors_not_stack_overflows()
    {
        var error = SingleError(WithEnvironment(
            "      KEY: ${self:custom.a}",
            extra: """
            custom:
              a: ${self:custom.b}
              b: prefix-${self:custom.a}
            """));

        AssertAt(error, 10, 6);
        Assert.Equal("circular variable reference: custom.a → custom.b → custom.a", error.Message);
    }

    [Fact]
    public void Stage_depending_on_itself_is_a_cycle()
    {
        var error = SingleError("""
            service: app
            provider:
              stage: ${sls:stage}
            """);

        AssertAt(error, 3, 10);
        Assert.Equal("circular variable reference: provider.stage → provider.stage", error.Message);
    }

    [Fact]
    public void Self_reference_to_an_enclosing_value_is_a_cycle()
    {
        var error = SingleError("""
            service: app
            provider:
              runtime: nodejs20.x
              environment:
                ALL: ${self:provider.environment}
            """);

        Assert.StartsWith("circular variable reference: provider.environment → provider.environment.ALL → provider.environment", error.Message);
    }

    [Theory]
    [InlineData("${ssm:/app/key}", "ssm")]
    [InlineData("${s3:bucket/key}", "s3")]
    [InlineData("${env:MISSING, ssm:/fallback}", "ssm")]
    public void Unsupported_sources_are_errors(string variable, string source)
    {
        var error = SingleError(WithEnvironment($"      KEY: {variable}"));

        AssertAt(error, 8, 12);
        Assert.Equal($"variable source '{source}' is not supported (supported: self, opt, sls, env, param, file, aws)", error.Message);
    }

    [Fact]
    public void Structured_value_inside_text_is_an_error()
    {
        var error = SingleError(WithEnvironment("      KEY: prefix-${self:custom}", extra: "custom: {a: 1}"));

        Assert.Equal("'${self:custom}' is a mapping, which can't be placed inside text", error.Message);
    }

    [Fact]
    public void Unterminated_variable_is_an_error()
    {
        var error = SingleError(WithEnvironment("      KEY: ${env:HOME"));

        AssertAt(error, 8, 12);
        Assert.Contains("has no closing '}'", error.Message);
    }

    [Fact]
    public void CloudFormation_style_placeholders_are_kept_as_text_with_a_warning()
    {
        var result = Load(WithEnvironment("      ARN: arn:${AWS::Partition}:s3:::bucket"));

        Assert.Equal("arn:${AWS::Partition}:s3:::bucket", result.Manifest.Functions[0].Environment["ARN"]);
        var warning = Assert.Single(result.Warnings);
        AssertAt(warning, 8, 12);
        Assert.Contains("'${AWS::Partition}' in functions.api.environment.ARN is not a variable", warning.Message);
    }

    [Fact]
    public void Unused_sections_are_not_resolved()
    {
        var manifest = LoadManifest(WithEnvironment("      A: b", extra: """
            custom:
              secret: ${ssm:/never/read}
            params:
              prod:
                token: ${env:ONLY_IN_PROD}
            """));

        Assert.Empty(manifest.Params);
    }
}
