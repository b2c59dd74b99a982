using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary>Functions shipped as OCI image archives: <c>image:</c> instead of a handler.</summary>
public sealed class ImageTests
{
    private static string App(string function, string providerRuntime = "nodejs20.x") => $"""
        service: app
        provider:
          runtime: {providerRuntime}
        functions:
          thumbs:
        {function}
        """;

    [Fact]
    public void A_path_makes_a_provided_event_function_whatever_the_provider_runtime()
    {
        var function = Assert.Single(LoadManifest(App("""
                image: ./images/thumbnailer.oci.tar
                events:
                  - httpApi: GET /thumbs
            """)).Functions);

        Assert.Equal(new FunctionImage("images/thumbnailer.oci.tar"), function.Image);
        Assert.Equal("provided", function.Runtime);
        Assert.Equal(FunctionKind.Event, function.Kind);
        Assert.Null(function.Handler);
        Assert.Empty(HandlerFiles.For(function));
    }

    [Fact]
    public void The_serverless_image_object_overrides_entry_point_command_and_working_directory()
    {
        var function = Assert.Single(LoadManifest(App("""
                runtime: provided.al2023
                handler: thumbs.handler
                image:
                  path: images/thumbnailer.oci.tar
                  entryPoint: [/usr/bin/thumbnailer, --lambda]
                  command: ["size=64 64"]
                  workingDirectory: /srv
            """)).Functions);

        var image = function.Image!;
        Assert.Equal("images/thumbnailer.oci.tar", image.Path);
        Assert.Equal(["/usr/bin/thumbnailer", "--lambda"], image.EntryPoint);
        Assert.Equal(["size=64 64"], image.Command);
        Assert.Equal("/srv", image.WorkingDirectory);
        Assert.Equal("provided.al2023", function.Runtime);
        Assert.Equal("thumbs.handler", function.Handler);
    }

    [Fact]
    public void An_image_survives_the_json_round_trip_and_validates()
    {
        var manifest = LoadManifest(App("""
                image:
                  path: images/fn.tar
                  command: []
            """));
        var copy = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));

        var image = Assert.Single(copy.Functions).Image!;
        Assert.Equal("images/fn.tar", image.Path);
        Assert.Equal([], image.Command);
        Assert.Null(image.EntryPoint);
        Assert.Empty(ServiceManifestValidator.Validate(copy));
    }

    [Theory]
    [InlineData("image: /etc/passwd", "functions.thumbs.image must be a relative path")]
    [InlineData("image: ../other/app.tar", "functions.thumbs.image must be a relative path")]
    [InlineData("image: images/../../x.tar", "functions.thumbs.image must be a relative path")]
    [InlineData("image: [a, b]", "functions.thumbs.image must be the path of an OCI image archive")]
    [InlineData("image: { entryPoint: [x] }", "functions.thumbs.image needs a 'path'")]
    [InlineData("image: { path: a.tar, entryPoint: [] }", "functions.thumbs.image.entryPoint must not be empty")]
    [InlineData("image: { path: a.tar, command: run it }", "functions.thumbs.image.command must be a list of strings")]
    [InlineData("image: { path: a.tar, workingDirectory: srv }", "functions.thumbs.image.workingDirectory must be an absolute path")]
    [InlineData("image: { uri: 000.dkr.ecr.local/fn:1 }", "not from a registry")]
    public void Bad_images_are_located_errors_naming_the_key(string image, string expected)
    {
        var error = SingleError(App("    " + image));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(6, error.Location!.Line);
    }

    [Fact]
    public void An_image_function_cannot_have_an_interpreted_runtime_or_a_web_command()
    {
        var runtime = SingleError(App("""
                image: a.tar
                runtime: python3.12
            """));
        Assert.Contains("functions.thumbs.runtime \"python3.12\" can't run an image", runtime.Message, StringComparison.Ordinal);

        var command = SingleError(App("""
                image: a.tar
                command: ./server
            """));
        Assert.Contains("has both 'image' and 'command'", command.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_refuses_image_json_that_the_loader_would_not_produce()
    {
        var valid = LoadManifest(App("    image: a.tar"));
        var function = Assert.Single(valid.Functions);
        var bad = valid with
        {
            Functions =
            [
                function with { Image = new FunctionImage("../escape.tar") { EntryPoint = [], WorkingDirectory = "relative" } },
                function with { Name = "node", Runtime = "nodejs20.x", Image = new FunctionImage("a.tar") },
            ],
        };

        var problems = ServiceManifestValidator.Validate(bad).Select(p => p.Message).ToList();
        Assert.Contains(problems, p => p.StartsWith("functions.thumbs.image.path must be a relative path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("functions.thumbs.image.entryPoint must not be empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("functions.thumbs.image.workingDirectory must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("functions.node.image needs a provided runtime", StringComparison.Ordinal));
        Assert.Equal(4, problems.Count);
    }
}
