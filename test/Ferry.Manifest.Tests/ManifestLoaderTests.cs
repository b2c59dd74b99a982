using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ManifestLoaderTests
{
    [Fact]
    public void Minimal_file_gets_provider_defaults()
    {
        var result = Load("""
            service: hello
            provider:
              runtime: nodejs20.x
            functions:
              hello:
                handler: handler.hello
            """);

        var manifest = result.Manifest;
        Assert.Empty(result.Warnings);
        Assert.Equal("hello", manifest.Service);
        Assert.Equal("ferry", manifest.Provider.Name);
        Assert.Equal(ManifestDefaults.Stage, manifest.Provider.Stage);
        Assert.Equal(ManifestDefaults.Region, manifest.Provider.Region);
        var function = Assert.Single(manifest.Functions);
        Assert.Equal("hello", function.Name);
        Assert.Equal("handler.hello", function.Handler);
        Assert.Equal("nodejs20.x", function.Runtime);
        Assert.Equal(FunctionKind.Event, function.Kind);
        Assert.Equal(ManifestDefaults.MemorySizeMb, function.MemorySize);
        Assert.Equal(ManifestDefaults.TimeoutSeconds, function.Timeout);
        Assert.Empty(function.Routes);
        Assert.Equal(new SourceLocation(FileName, 5, 3), function.Location);
    }

    [Fact]
    public void Aws_node_http_api_example_loads_without_errors_or_warnings()
    {
        var result = ManifestLoader.LoadFile(FixturePath("aws-node-http-api.yml"), Options());

        Assert.Empty(result.Warnings);
        Assert.Equal("aws-node-http-api-project", result.Manifest.Service);
        Assert.Equal("aws", result.Manifest.Provider.Name);
        var hello = Assert.Single(result.Manifest.Functions);
        Assert.Equal("handler.hello", hello.Handler);
        Assert.Equal("nodejs18.x", hello.Runtime);
        Assert.Equal([new HttpRoute("GET", "/", HttpRoute.PayloadV2)], hello.Routes);
        Assert.Equal("aws-node-http-api.yml", hello.Location?.File);
    }

    [Fact]
    public void Full_fixture_resolves_everything_for_the_selected_stage()
    {
        var result = ManifestLoader.LoadFile(FixturePath("full.yml"), Options(options: new Dictionary<string, string> { ["stage"] = "prod" }));

        var manifest = result.Manifest;
        Assert.Empty(result.Warnings);
        Assert.Equal("prod", manifest.Provider.Stage);
        Assert.Equal("https://example.test", manifest.Params["apiUrl"]);
        Assert.Equal(["!node_modules/**", "src/**"], manifest.PackagePatterns);

        var orders = manifest.Functions.Single(f => f.Name == "orders");
        Assert.Equal("python3.12", orders.Runtime);
        Assert.Equal(512, orders.MemorySize);
        Assert.Equal(30, orders.Timeout);
        Assert.Equal("prod", orders.Environment["STAGE"]);
        Assert.Equal("shop-prod-orders", orders.Environment["TABLE"]);
        Assert.Equal("https://example.test", orders.Environment["API_URL"]);
        Assert.Equal("hello", orders.Environment["GREETING"]);
        Assert.Equal([new HttpRoute("GET", "/orders"), new HttpRoute("POST", "/orders")], orders.Routes);

        var legacy = manifest.Functions.Single(f => f.Name == "legacy");
        Assert.Equal("nodejs20.x", legacy.Runtime);
        Assert.Equal(10, legacy.Timeout);
        Assert.Equal([new HttpRoute("*", "/legacy/{proxy+}", HttpRoute.PayloadV1)], legacy.Routes);

        var frontend = manifest.Functions.Single(f => f.Name == "frontend");
        Assert.Equal(FunctionKind.Web, frontend.Kind);
        Assert.Null(frontend.Handler);
        Assert.Equal(["node", "server.js", "--port", "$PORT"], frontend.Command);
        Assert.Equal([new HttpRoute("*", "*")], frontend.Routes);
    }

    [Fact]
    public void Function_environment_is_merged_over_the_providers_and_scalars_become_strings()
    {
        var function = Assert.Single(LoadManifest("""
            service: app
            provider:
              runtime: nodejs20.x
              environment:
                SHARED: provider
                OVERRIDDEN: provider
                RETRIES: 3
            functions:
              api:
                handler: index.handler
                environment:
                  OVERRIDDEN: function
                  DEBUG: true
                  EMPTY:
            """).Functions);

        Assert.Equal(
            new Dictionary<string, string> { ["SHARED"] = "provider", ["OVERRIDDEN"] = "function", ["RETRIES"] = "3", ["DEBUG"] = "true", ["EMPTY"] = "" },
            function.Environment);
    }

    [Fact]
    public void Provider_sizes_apply_unless_the_function_sets_its_own()
    {
        var manifest = LoadManifest("""
            service: app
            provider:
              runtime: python3.12
              memorySize: 256
              timeout: 20
            functions:
              small:
                handler: app.small
              big:
                handler: app.big
                memorySize: 2048
                timeout: 900
            """);

        Assert.Equal((256, 20), (manifest.Provider.MemorySize, manifest.Provider.Timeout));
        Assert.Equal((256, 20), manifest.Functions[0] is var s ? (s.MemorySize, s.Timeout) : default);
        Assert.Equal((2048, 900), manifest.Functions[1] is var b ? (b.MemorySize, b.Timeout) : default);
    }

    [Fact]
    public void Old_service_form_with_name_is_accepted()
    {
        var manifest = LoadManifest("""
            service:
              name: legacy-app
            provider:
              runtime: nodejs18.x
            functions: {}
            """);

        Assert.Equal("legacy-app", manifest.Service);
        Assert.Empty(manifest.Functions);
    }

    [Fact]
    public void Web_function_command_string_is_split_like_a_shell()
    {
        var function = Assert.Single(LoadManifest("""
            service: site
            functions:
              web:
                command: python3 -m http.server "$PORT" --bind '0.0.0.0' --title "a \"quoted\" word"
            """).Functions);

        Assert.Equal("web", function.Runtime);
        Assert.Equal(["python3", "-m", "http.server", "$PORT", "--bind", "0.0.0.0", "--title", "a \"quoted\" word"], function.Command);
    }

    [Fact]
    public void Web_function_command_may_be_a_list_and_runtime_web_is_explicit()
    {
        var function = Assert.Single(LoadManifest("""
            service: site
            provider:
              runtime: nodejs20.x
            functions:
              web:
                runtime: web
                command: [node, "server with space.js"]
            """).Functions);

        Assert.Equal(FunctionKind.Web, function.Kind);
        Assert.Equal(["node", "server with space.js"], function.Command);
    }

    [Fact]
    public void Command_without_a_runtime_of_its_own_makes_a_web_function_even_with_a_provider_runtime()
    {
        var function = Assert.Single(LoadManifest("""
            service: site
            provider:
              runtime: nodejs20.x
            functions:
              web:
                command: node server.js
            """).Functions);

        Assert.Equal(RuntimeCatalog.Web, function.Runtime);
    }

    [Fact]
    public void Provided_runtime_needs_no_handler()
    {
        var function = Assert.Single(LoadManifest("""
            service: native
            functions:
              go:
                runtime: provided.al2023
            """).Functions);

        Assert.Equal("provided.al2023", function.Runtime);
        Assert.Null(function.Handler);
    }

    [Fact]
    public void Unknown_keys_warn_with_their_location_and_the_manifest_still_loads()
    {
        var result = Load("""
            service: app
            provider:
              runtime: nodejs20.x
              foo: bar
            functions:
              api:
                handler: index.handler
                handlr: typo.handler
            colour: blue
            """);

        Assert.Collection(result.Warnings,
            w => { AssertAt(w, 4, 3); Assert.Equal("unknown key 'provider.foo' is ignored", w.Message); },
            w => { AssertAt(w, 8, 5); Assert.Equal("unknown key 'functions.api.handlr' is ignored", w.Message); },
            w => { AssertAt(w, 9, 1); Assert.Equal("unknown key 'colour' is ignored", w.Message); });
    }

    [Fact]
    public void Serverless_keys_that_change_aws_behaviour_warn_once_and_reserved_sections_are_quiet()
    {
        var result = Load("""
            service: app
            frameworkVersion: '3'
            useDotenv: true
            plugins:
              - serverless-offline
            custom:
              anything: ${ssm:/not/resolved/because/unused}
            resources:
              Resources:
                Bucket:
                  Type: AWS::S3::Bucket
                  Properties:
                    BucketName: !Sub '${AWS::StackName}-bucket'
            provider:
              runtime: nodejs20.x
              iam:
                role: {}
            functions:
              api:
                handler: index.handler
            """);

        Assert.Equal(
            ["serverless.yml:4:1: plugins serverless-offline is not run by Ferry; ignored (Ferry builds TypeScript itself for serverless-esbuild and serverless-plugin-typescript)", "serverless.yml:16:3: 'provider.iam' is not used by Ferry; ignored"],
            result.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void Handler_on_a_web_function_is_ignored_with_a_warning()
    {
        var result = Load("""
            service: site
            functions:
              web:
                handler: index.handler
                command: node server.js
            """);

        Assert.Null(Assert.Single(result.Manifest.Functions).Handler);
        var warning = Assert.Single(result.Warnings);
        AssertAt(warning, 4, 14);
    }

    [Fact]
    public void Yaml_anchors_and_merge_keys_work()
    {
        var manifest = LoadManifest("""
            service: app
            provider:
              runtime: nodejs20.x
            functions:
              a: &base
                handler: a.handler
                timeout: 15
              b:
                <<: *base
                handler: b.handler
            """);

        var b = manifest.Functions.Single(f => f.Name == "b");
        Assert.Equal(("b.handler", 15), (b.Handler, b.Timeout));
    }

    [Fact]
    public void LoadFile_refuses_files_over_one_mebibyte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ferry-big-{Guid.NewGuid():N}.yml");
        try
        {
            File.WriteAllText(path, "service: big\n# " + new string('x', ManifestLoader.MaxFileBytes));

            var error = Assert.Single(Assert.Throws<ManifestException>(() => ManifestLoader.LoadFile(path, Options())).Errors);

            Assert.Null(error.Location);
            Assert.Contains("at most 1,048,576 bytes (1 MiB)", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_reports_a_missing_file_clearly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ferry-missing-{Guid.NewGuid():N}", "serverless.yml");

        var error = Assert.Single(Assert.Throws<ManifestException>(() => ManifestLoader.LoadFile(path, Options())).Errors);

        Assert.Equal($"cannot read {path}: the file does not exist", error.Message);
    }
}
