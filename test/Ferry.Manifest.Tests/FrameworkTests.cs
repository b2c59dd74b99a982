using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary><c>framework:</c> on web functions, and web functions whose framework <c>ferry deploy</c> detects.</summary>
public sealed class FrameworkTests
{
    [Fact]
    public void A_web_function_without_a_command_is_left_for_the_deploy_to_detect()
    {
        var function = Assert.Single(LoadManifest("""
            service: app
            functions:
              site:
                runtime: web
            """).Functions);

        Assert.Equal(FunctionKind.Web, function.Kind);
        Assert.Null(function.Command);
        Assert.Null(function.Framework);
    }

    [Fact]
    public void A_framework_makes_a_web_function_even_with_a_provider_runtime()
    {
        var function = Assert.Single(LoadManifest("""
            service: app
            provider:
              runtime: nodejs20.x
            functions:
              site:
                framework: django
            """).Functions);

        Assert.Equal(FunctionKind.Web, function.Kind);
        Assert.Equal("django", function.Framework);
        Assert.Null(function.Command);
    }

    [Fact]
    public void An_unknown_framework_is_an_error_at_its_value_listing_the_known_ones()
    {
        var error = SingleError("""
            service: app
            functions:
              site:
                framework: rails
            """);

        AssertAt(error, 4, 16);
        Assert.Contains("\"rails\" is not a known framework", error.Message);
        Assert.Contains("express, koa, nest, nextjs, flask, django, laravel, php, egg, nuxt", error.Message);
    }

    [Fact]
    public void A_framework_and_a_command_together_are_an_error()
    {
        var error = SingleError("""
            service: app
            functions:
              site:
                command: node server.js
                framework: express
            """);

        AssertAt(error, 5, 16);
        Assert.Contains("both 'command' and 'framework'", error.Message);
    }

    [Fact]
    public void A_framework_on_an_event_runtime_is_an_error()
    {
        var error = SingleError("""
            service: app
            functions:
              site:
                runtime: nodejs20.x
                framework: express
            """);

        Assert.Contains("only for web functions", error.Message);
    }

    [Fact]
    public void The_framework_survives_the_json_round_trip_and_the_server_asks_for_the_command_it_needs()
    {
        var manifest = LoadManifest("""
            service: app
            functions:
              site:
                framework: flask
            """);

        var sent = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));

        Assert.Equal("flask", Assert.Single(sent.Functions).Framework);
        var problem = Assert.Single(ServiceManifestValidator.Validate(sent));
        Assert.Contains("framework 'flask' is turned into a command by 'ferry deploy'", problem.Message);
    }
}
