namespace Ferry.Hub.Tests;

public class TemplateDiffTests
{
    private const string Version1 = """
        service: shop
        provider:
          runtime: nodejs20.x
          memorySize: 256
        template:
          name: shop
          version: 1.0.0
          description: A shop
          parameters:
            - name: currency
              default: EUR
            - name: token
              secret: true
              default: hunter2-default
        functions:
          api:
            handler: api.handler
            environment:
              CURRENCY: ${param:currency}
            events:
              - httpApi: 'GET /items'
              - httpApi: 'POST /items'
          legacy:
            handler: legacy.handler
        """;

    private const string Version2 = """
        service: shop
        provider:
          runtime: nodejs20.x
          memorySize: 256
        template:
          name: shop
          version: 1.1.0
          description: A better shop
          closedSource: [engine]
          parameters:
            - name: currency
              default: USD
            - name: token
              secret: true
              default: hunter3-default
            - name: pageSize
              type: number
              default: 20
        functions:
          api:
            handler: api.handler
            memorySize: 512
            environment:
              CURRENCY: ${param:currency}
              TOKEN: ${param:token}
              PAGE_SIZE: ${param:pageSize}
            events:
              - httpApi: 'GET /items'
              - httpApi: 'DELETE /items/{id}'
          engine:
            command: ./bin/engine --port $PORT
        """;

    private static TemplateSnapshot Snapshot(string yaml)
    {
        var definition = TemplateDefinitionReader.Parse(yaml, "serverless.yml").Definition;
        return new TemplateSnapshot(definition, TemplateReviewManifest.Load(yaml, "serverless.yml", definition).Manifest);
    }

    [Fact]
    public void Compares_functions_routes_parameters_and_permissions()
    {
        var diff = TemplateDiff.Compare(Snapshot(Version1), Snapshot(Version2));

        Assert.Equal("1.0.0", diff.PreviousVersion?.ToString());
        Assert.Equal(new PropertyChange("description", "A shop", "A better shop"), Assert.Single(diff.Metadata));

        var api = diff.Functions.Single(f => f.Name == "api");
        Assert.Equal(ChangeKind.Changed, api.Kind);
        Assert.Equal(
        [
            new PropertyChange("memorySize", "256 MB", "512 MB"),
            new PropertyChange("environment.PAGE_SIZE", null, "20"),
            new PropertyChange("environment.TOKEN", null, "${param:token}"),
        ], api.Properties);
        Assert.Equal(ChangeKind.Added, diff.Functions.Single(f => f.Name == "engine").Kind);
        Assert.Equal(ChangeKind.Removed, diff.Functions.Single(f => f.Name == "legacy").Kind);

        Assert.Equal(
        [
            new RouteChange(ChangeKind.Added, "DELETE", "/items/{id}", "2.0", "api"),
            new RouteChange(ChangeKind.Removed, "POST", "/items", "2.0", "api"),
        ], diff.Routes);

        Assert.Equal(new PropertyChange("default", "EUR", "USD"), Assert.Single(diff.Parameters.Single(p => p.Name == "currency").Properties));
        Assert.Equal(ChangeKind.Added, diff.Parameters.Single(p => p.Name == "pageSize").Kind);
        Assert.DoesNotContain(diff.Parameters, p => p.Name == "token"); // only the secret default changed, and it is masked

        Assert.Equal(
        [
            new PermissionChange(ChangeKind.Added, new TemplatePermission(PermissionKind.ClosedSourceFunction, "engine", "bin/engine"), null),
            new PermissionChange(ChangeKind.Added, new TemplatePermission(PermissionKind.WebFunction, "engine", "./bin/engine --port $PORT"), null),
            new PermissionChange(ChangeKind.Added, new TemplatePermission(PermissionKind.SecretInEnvironment, "api/TOKEN", "token"), null),
        ], diff.Permissions);
    }

    [Fact]
    public void Renders_lines_with_signs_and_never_shows_secret_defaults()
    {
        var lines = TemplateDiff.Compare(Snapshot(Version1), Snapshot(Version2)).Render();

        Assert.Equal("shop 1.0.0 → 1.1.0", lines[0]);
        Assert.Contains("  ~ description A shop → A better shop", lines);
        Assert.Contains("  ~ function api: memorySize 256 MB → 512 MB, environment.PAGE_SIZE (none) → 20, environment.TOKEN (none) → ${param:token}", lines);
        Assert.Contains("  - function legacy", lines);
        Assert.Contains("  + DELETE /items/{id} → api", lines);
        Assert.Contains("  - POST /items → api", lines);
        Assert.Contains("  ~ parameter currency: default EUR → USD", lines);
        Assert.Contains("  + parameter pageSize: type number, default 20, required false, secret false", lines);
        Assert.Contains("  + closed-source function engine (files: bin/engine)", lines);
        Assert.Contains("  + secret parameter token reaches environment variable api/TOKEN", lines);
        Assert.Equal(["metadata:", "functions:", "routes:", "parameters:", "permissions:"], lines.Where(line => line.EndsWith(':')));
        Assert.DoesNotContain(lines, line => line.Contains("hunter", StringComparison.Ordinal));
    }

    [Fact]
    public void A_first_version_shows_everything_as_added()
    {
        var diff = TemplateDiff.Compare(null, Snapshot(Version1));

        Assert.Null(diff.PreviousVersion);
        Assert.All(diff.Functions, change => Assert.Equal(ChangeKind.Added, change.Kind));
        Assert.Equal(2, diff.Routes.Count);
        Assert.Contains(diff.Parameters.Single(p => p.Name == "token").Properties, p => p.Property == "default" && p.After == RedactedParameters.Mask);
        Assert.Equal("shop 1.0.0 (first version)", diff.Render()[0]);
    }

    [Fact]
    public void Identical_versions_have_no_changes()
    {
        var diff = TemplateDiff.Compare(Snapshot(Version1), Snapshot(Version1));

        Assert.True(diff.IsEmpty);
        Assert.Equal(["shop 1.0.0 → 1.0.0", "no changes"], diff.Render());
    }

    [Fact]
    public void Secret_defaults_are_masked_even_in_a_manifest_resolved_with_values()
    {
        var previous = Snapshot(Version1);
        var resolved = previous with
        {
            Manifest = previous.Manifest with
            {
                Functions = [previous.Manifest.Functions[0] with { Environment = new Dictionary<string, string> { ["TOKEN"] = "hunter2-default" } }],
            },
        };

        var rendered = TemplateDiff.Compare(previous, resolved).ToString();

        Assert.DoesNotContain("hunter2", rendered);
        Assert.Contains(RedactedParameters.Mask, rendered);
    }
}
