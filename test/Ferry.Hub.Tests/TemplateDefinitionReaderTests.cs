using Ferry.Manifest;

namespace Ferry.Hub.Tests;

public class TemplateDefinitionReaderTests
{
    private static ManifestException Errors(string yaml) =>
        Assert.Throws<ManifestException>(() => TemplateDefinitionReader.Parse(yaml, "serverless.yml", _ => null));

    private static void AssertError(ManifestException exception, int line, string text)
    {
        Assert.True(
            exception.Errors.Any(error => error.Location?.Line == line && error.Message.Contains(text, StringComparison.Ordinal)),
            $"expected an error at line {line} containing \"{text}\"; got:\n{exception.Message}");
    }

    [Fact]
    public void Reads_the_template_section_with_readme_file_and_closed_source_files()
    {
        using var app = Templates.ResizerApp();

        var result = TemplateDefinitionReader.Read(app.ManifestPath);

        var definition = result.Definition;
        Assert.Equal("image-resizer", definition.Name);
        Assert.Equal(SemanticVersion.Parse("1.0.0"), definition.Version);
        Assert.Equal("Resizes uploaded images", definition.Description);
        Assert.StartsWith("# Image resizer", definition.Readme);
        Assert.Equal(("Jane Doe", "MIT"), (definition.Author, definition.License));
        Assert.Equal(["images", "media"], definition.Labels);
        Assert.Equal(["size", "replicas", "apiKey"], definition.Parameters.Select(p => p.Name));

        var size = definition.Parameters[0];
        Assert.Equal((TemplateParameterType.Enum, "small"), (size.Type, size.Default));
        Assert.Equal(["small", "large"], size.AllowedValues);
        var replicas = definition.Parameters[1];
        Assert.Equal((1m, 10m, "2"), (replicas.Minimum!.Value, replicas.Maximum!.Value, replicas.Default));
        var apiKey = definition.Parameters[2];
        Assert.True(apiKey.Secret && apiKey.Required);
        Assert.Equal(TemplateParameterType.String, apiKey.Type);

        var closed = Assert.Single(definition.ClosedSource);
        Assert.Equal(new ClosedSourceFunction("native", ["bootstrap"]).Function, closed.Function);
        Assert.Equal(["bootstrap"], closed.Files);
        Assert.Equal(["size", "replicas", "apiKey"], result.References.Select(r => r.Name));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Reports_every_error_in_the_section_with_its_line()
    {
        var exception = Errors("""
            service: demo
            provider:
              runtime: nodejs20.x
            template:
              name: Bad_Name
              version: 1.0
              description: demo
              parameters:
                - name: count
                  type: number
                  minimum: 5
                  default: 3
                - name: count
                  type: string
                - name: mode
                  type: enum
                - name: flag
                  type: boolean
                - name: token
                  required: true
                  default: abc
            functions:
              hello:
                handler: handler.hello
            """);

        AssertError(exception, 5, "template.name 'Bad_Name' is invalid");
        AssertError(exception, 6, "template.version '1.0' is not a semantic version");
        AssertError(exception, 12, "parameter 'count': the default must be a number of at least 5, got '3'");
        AssertError(exception, 13, "parameter 'count' is declared twice (first at serverless.yml:9:7)");
        AssertError(exception, 16, "an enum needs 'allowedValues'");
        AssertError(exception, 17, "parameter 'flag' (boolean) needs a default or 'required: true'");
        AssertError(exception, 21, "parameter 'token' is required and has a default");
        Assert.All(exception.Errors, error => Assert.Equal("serverless.yml", error.Location?.File));
    }

    [Fact]
    public void Every_param_reference_must_name_a_declared_parameter()
    {
        var exception = Errors("""
            service: demo
            provider:
              runtime: nodejs20.x
              environment:
                A: ${param:declared}
                B: prefix-${param:missing}-suffix
                C: ${param:${sls:stage}}
            template:
              name: demo
              version: 1.0.0
              description: demo
              parameters:
                - name: declared
            functions:
              hello:
                handler: handler.hello
            """);

        AssertError(exception, 6, "'${param:missing}' refers to parameter 'missing', which template.parameters does not declare (declared: declared)");
        AssertError(exception, 7, "computes the parameter's name");
        Assert.Equal(2, exception.Errors.Count);
    }

    [Fact]
    public void Requires_the_section_and_its_required_keys()
    {
        AssertError(Errors("service: demo\n"), 1, "a template needs a top-level 'template:' section");

        var missing = Errors("service: demo\ntemplate:\n  name: demo\n");
        Assert.Contains(missing.Errors, error => error.Message == "template.version is required");
        Assert.Contains(missing.Errors, error => error.Message == "template.description is required");
    }

    [Fact]
    public void Checks_parameter_rules_when_declared()
    {
        var exception = Errors("""
            service: demo
            template:
              name: demo
              version: 1.0.0
              description: demo
              parameters:
                - name: 9lives
                - name: region
                  pattern: '[a-z'
                - name: size
                  type: number
                  pattern: '[0-9]+'
                  default: 1
                - name: kind
                  type: colour
                - name: level
                  type: number
                  minimum: 10
                  maximum: 1
                  required: true
            """);

        AssertError(exception, 7, "parameter name '9lives' is invalid");
        AssertError(exception, 9, "is not a valid regular expression");
        AssertError(exception, 12, "'pattern' is only for string parameters, not number");
        AssertError(exception, 15, "must be string, number, boolean or enum, got 'colour'");
        AssertError(exception, 18, "minimum 10 is larger than maximum 1");
    }

    [Fact]
    public void Warns_about_secret_defaults_unused_parameters_and_unknown_keys()
    {
        var result = TemplateDefinitionReader.Parse("""
            service: demo
            provider:
              environment:
                TOKEN: ${param:token}
            template:
              name: demo
              version: 1.0.0
              description: demo
              homepage: https://example.com
              parameters:
                - name: token
                  secret: true
                  default: s3cret-value
                - name: unused
            """, "serverless.yml");

        Assert.Contains(result.Warnings, w => w.Location?.Line == 13 && w.Message.Contains("secret but has a default"));
        Assert.Contains(result.Warnings, w => w.Location?.Line == 9 && w.Message.Contains("template.homepage is not a template setting"));
        Assert.Contains(result.Warnings, w => w.Message.Contains("parameter 'unused' is declared but the app never reads it"));
        Assert.Equal("s3cret-value", result.Definition.FindParameter("token")!.Default);
    }

    [Fact]
    public void Reads_an_inline_readme_and_reports_a_missing_readme_file()
    {
        var inline = TemplateDefinitionReader.Parse("""
            service: demo
            template:
              name: demo
              version: 1.0.0
              description: demo
              readme: |
                # Demo
                Says hello.
            """, "serverless.yml");
        Assert.Equal("# Demo\nSays hello.", inline.Definition.Readme);

        var missing = Errors("service: demo\ntemplate:\n  name: demo\n  version: 1.0.0\n  description: demo\n  readme: docs/README.md\n");
        AssertError(missing, 6, "names the file 'docs/README.md', which does not exist in the app folder");

        var escaping = Errors("service: demo\ntemplate:\n  name: demo\n  version: 1.0.0\n  description: demo\n  readme: ../secrets.md\n");
        AssertError(escaping, 6, "must be a path inside the app folder");
    }

    [Fact]
    public void Resolves_closed_source_files_for_images_and_web_programs_and_refuses_source_functions()
    {
        var result = TemplateDefinitionReader.Parse("""
            service: demo
            provider:
              runtime: nodejs20.x
            template:
              name: demo
              version: 1.0.0
              description: demo
              closedSource: [ocr, api, resize]
            functions:
              ocr:
                runtime: provided
                image: images/ocr.oci.tar
              api:
                command: ./bin/server --port $PORT
              resize:
                image:
                  path: ./images/resize.oci.tar
                  command: [resize]
            """, "serverless.yml");
        Assert.Equal(["images/ocr.oci.tar"], result.Definition.ClosedSource[0].Files);
        Assert.Equal(["bin/server"], result.Definition.ClosedSource[1].Files);
        Assert.Equal(["images/resize.oci.tar"], result.Definition.ClosedSource[2].Files);

        var exception = Errors("""
            service: demo
            provider:
              runtime: nodejs20.x
            template:
              name: demo
              version: 1.0.0
              description: demo
              closedSource: [hello, ghost, web]
            functions:
              hello:
                handler: handler.hello
              web:
                command: node server.js
            """);
        AssertError(exception, 8, "function 'hello' runs source code (runtime nodejs20.x) and can't be closed-source");
        AssertError(exception, 8, "template.closedSource lists 'ghost', which is not a function declared under 'functions'");
        AssertError(exception, 13, "starts 'node', which is not a file of the package");
    }

    [Fact]
    public void Reports_malformed_yaml_at_its_position()
    {
        var exception = Errors("service: demo\ntemplate:\n  name: [unclosed\n  version: 1.0.0\n");
        var error = Assert.Single(exception.Errors);
        Assert.StartsWith("invalid YAML", error.Message);
        Assert.NotNull(error.Location);
    }
}
