using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ManifestErrorTests
{
    [Fact]
    public void Malformed_yaml_is_reported_at_the_parsers_position()
    {
        var error = SingleError("""
            service: app
            functions:
              hello:
                handler: index.handler
               timeout: 3
            """);

        AssertAt(error, 5, 4);
        Assert.Equal("invalid YAML: while parsing a block mapping, did not find expected key.", error.Message);
    }

    [Fact]
    public void Unclosed_flow_collection_is_reported_where_it_opens()
    {
        var error = SingleError("""
            service: app
            functions:
              hello:
                handler: [index.handler
            provider: {}
            """);

        AssertAt(error, 4, 14);
        Assert.Contains("left unclosed", error.Message);
    }

    [Fact]
    public void Duplicate_keys_are_reported_where_the_second_one_is()
    {
        var error = SingleError("""
            service: app
            service: other
            """);

        AssertAt(error, 2, 1);
        Assert.Contains("Duplicate key", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Bad_timeout_says_what_was_expected_with_line_and_column()
    {
        var error = SingleError("""
            service: app
            provider:
              runtime: nodejs20.x
            functions:
              hello:
                handler: handler.hello
                timeout: abc
            """);

        Assert.Equal("serverless.yml:7:14: functions.hello.timeout must be a whole number of seconds between 1 and 900, got \"abc\"", error.ToString());
    }

    [Theory]
    [InlineData("timeout: 0", "provider.timeout must be a whole number of seconds between 1 and 900, got \"0\"")]
    [InlineData("timeout: 901", "provider.timeout must be a whole number of seconds between 1 and 900, got \"901\"")]
    [InlineData("timeout: 1.5", "provider.timeout must be a whole number of seconds between 1 and 900, got \"1.5\"")]
    [InlineData("memorySize: 64", "provider.memorySize must be a whole number of megabytes between 128 and 10240, got \"64\"")]
    [InlineData("memorySize: [1]", "provider.memorySize must be a whole number of megabytes between 128 and 10240, got a list")]
    public void Provider_sizes_out_of_range_are_errors(string line, string message)
    {
        var error = SingleError($"""
            service: app
            provider:
              runtime: nodejs20.x
              {line}
            """);

        Assert.Equal(message, error.Message);
        Assert.Equal(4, error.Location?.Line);
    }

    [Fact]
    public void Unknown_runtime_lists_the_supported_ones()
    {
        var error = SingleError("""
            service: app
            functions:
              hello:
                handler: handler.hello
                runtime: ruby3.2
            """);

        AssertAt(error, 5, 14);
        Assert.Equal($"functions.hello.runtime \"ruby3.2\" is not supported; supported runtimes: {RuntimeCatalog.Supported}", error.Message);
    }

    [Fact]
    public void Unknown_provider_runtime_is_reported_once_where_it_is_declared()
    {
        var error = SingleError("""
            service: app
            provider:
              runtime: java17
            functions:
              a:
                handler: a.handler
              b:
                handler: b.handler
            """);

        AssertAt(error, 3, 12);
    }

    [Fact]
    public void Missing_handler_is_reported_at_the_function()
    {
        var error = SingleError("""
            service: app
            provider:
              runtime: python3.12
            functions:
              hello:
                timeout: 5
            """);

        AssertAt(error, 5, 3);
        Assert.StartsWith("functions.hello needs a 'handler'", error.Message);
    }

    [Theory]
    [InlineData("handler")]
    [InlineData("/abs/path.handler")]
    [InlineData("../outside.handler")]
    [InlineData("src/app.")]
    [InlineData("src app.handler")]
    public void Malformed_handlers_are_errors(string handler)
    {
        var error = SingleError($"""
            service: app
            provider:
              runtime: nodejs20.x
            functions:
              hello:
                handler: '{handler}'
            """);

        AssertAt(error, 6, 14);
        Assert.StartsWith("functions.hello.handler must be 'path/file.export'", error.Message);
    }

    [Fact]
    public void No_runtime_anywhere_is_an_error()
    {
        var error = SingleError("""
            service: app
            functions:
              hello:
                handler: handler.hello
            """);

        AssertAt(error, 3, 3);
        Assert.StartsWith("functions.hello has no runtime; set provider.runtime or functions.hello.runtime", error.Message);
    }

    [Fact]
    public void Command_on_a_function_with_an_event_runtime_is_an_error()
    {
        var error = SingleError("""
            service: app
            functions:
              site:
                runtime: nodejs20.x
                command: node server.js
            """);

        Assert.Contains("only for web functions", error.Message);
    }

    [Fact]
    public void Unterminated_quote_in_command_is_an_error()
    {
        var error = SingleError("""
            service: app
            functions:
              site:
                command: node "server.js
            """);

        AssertAt(error, 4, 14);
        Assert.Contains("unterminated double quote", error.Message);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("healthz")]
    [InlineData("metrics")]
    [InlineData("console")]
    [InlineData("static")]
    public void Reserved_service_names_are_refused(string name)
    {
        var error = SingleError($"service: {name}\n");

        AssertAt(error, 1, 10);
        Assert.Contains("is reserved by Ferry", error.Message);
    }

    [Theory]
    [InlineData("My-App")]
    [InlineData("1app")]
    [InlineData("app_name")]
    [InlineData("a-very-long-service-name-that-goes-past-forty")]
    public void Invalid_service_names_are_refused(string name)
    {
        var error = SingleError($"service: {name}\n");

        Assert.Contains("service names are 1-40 lowercase letters, digits or '-'", error.Message);
    }

    [Fact]
    public void Invalid_function_name_stage_and_provider_name_are_errors()
    {
        var errors = Errors("""
            service: app
            provider:
              name: azure
              runtime: nodejs20.x
              stage: Prod
            functions:
              9lives:
                handler: a.handler
            """);

        Assert.Collection(errors,
            e => { AssertAt(e, 3, 9); Assert.Equal("provider.name must be 'aws' or 'ferry', got \"azure\"", e.Message); },
            e => { AssertAt(e, 5, 10); Assert.StartsWith("provider.stage \"Prod\" is invalid", e.Message); },
            e => { AssertAt(e, 7, 3); Assert.StartsWith("function name \"9lives\" is invalid", e.Message); });
    }

    [Fact]
    public void Invalid_stage_from_the_command_line_has_no_location()
    {
        var error = SingleError("service: app\n", Options(stage: "Bad_Stage"));

        Assert.Null(error.Location);
        Assert.StartsWith("--stage \"Bad_Stage\" is invalid", error.Message);
    }

    [Fact]
    public void Missing_service_is_an_error()
    {
        var error = SingleError("provider:\n  runtime: nodejs20.x\n");

        AssertAt(error, 1, 1);
        Assert.StartsWith("'service' is required", error.Message);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("- a\n- b\n", "the top level must be a mapping")]
    [InlineData("service: a\n---\nservice: b\n", "expected a single YAML document")]
    public void Document_shape_errors(string yaml, string message)
    {
        Assert.StartsWith(message, SingleError(yaml).Message);
    }

    [Fact]
    public void Environment_must_be_a_mapping_of_valid_names_to_scalars()
    {
        var errors = Errors("""
            service: app
            provider:
              runtime: nodejs20.x
              environment:
                1BAD: x
                NESTED:
                  a: b
            """);

        Assert.Collection(errors,
            e => { AssertAt(e, 5, 5); Assert.Contains("environment variable names must be", e.Message); },
            e => { AssertAt(e, 7, 7); Assert.Equal("provider.environment.NESTED must be a string, number, boolean or a CloudFormation Ref, Fn::GetAtt, Fn::Join or Fn::Sub, got a mapping", e.Message); });
    }

    [Fact]
    public void All_errors_are_reported_together_in_file_order()
    {
        var errors = Errors("""
            service: app
            provider:
              runtime: nodejs20.x
              memorySize: lots
            functions:
              one:
                handler: one.handler
                timeout: -1
              two:
                runtime: cobol
              three:
                handler: three.handler
                environment:
                  KEY: ${env:MISSING}
            """);

        Assert.Equal([4, 8, 10, 14], errors.Select(e => e.Location!.Line));
        var exception = Assert.Throws<ManifestException>(() => Load("service: App\nprovider: {timeout: x}\n"));
        Assert.Equal(2, exception.Errors.Count);
        Assert.Equal(string.Join(Environment.NewLine, exception.Errors), exception.Message);
    }

    [Fact]
    public void Deeply_nested_yaml_is_refused_instead_of_overflowing_the_stack()
    {
        var error = SingleError("service: app\ncustom: " + new string('[', 10_000) + new string(']', 10_000) + "\n");

        Assert.Contains("deeper than", error.Message);
        Assert.Equal(2, error.Location?.Line);
    }
}
