using Ferry.Manifest;
using Ferry.Runtime.Images;

namespace Ferry.Runtime.Tests.Images;

public sealed class ImageLaunchTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-image-launch-test-");
    private readonly UnpackedImage _image;

    public ImageLaunchTests()
    {
        foreach (var file in new[] { "lambda-entrypoint.sh", "bin/other", "var/lang/bin/node" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root.FullName, file))!);
            File.WriteAllText(Path.Combine(_root.FullName, file), "");
        }

        _image = new UnpackedImage("sha256:" + new string('a', 64), _root.FullName, new ImageConfig
        {
            Entrypoint = ["/lambda-entrypoint.sh"],
            Cmd = ["app.handler"],
            Env = ["PATH=/var/lang/bin:/usr/bin", "LAMBDA_TASK_ROOT=/var/task", "AWS_REGION=us-east-1", "LANG=en_US.UTF-8", "NOT-A-PAIR"],
            WorkingDir = "/var/task",
        });
    }

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void The_image_runs_its_entry_point_and_cmd_in_its_working_directory()
    {
        var launch = ImageLaunch.For(_image, new FunctionImage("images/fn.tar"));

        Assert.Equal(["/lambda-entrypoint.sh", "app.handler"], launch.Command);
        Assert.Equal("/var/task", launch.WorkingDirectory);
        Assert.Equal(_root.FullName, launch.RootFilesystem);
    }

    [Fact]
    public void Manifest_overrides_follow_dockers_rules()
    {
        var command = ImageLaunch.For(_image, new FunctionImage("a.tar") { Command = ["other.handler"] });
        var entryPoint = ImageLaunch.For(_image, new FunctionImage("a.tar") { EntryPoint = ["/bin/other"], WorkingDirectory = "/" });
        var both = ImageLaunch.For(_image, new FunctionImage("a.tar") { EntryPoint = ["/bin/other"], Command = ["x"] });

        Assert.Equal(["/lambda-entrypoint.sh", "other.handler"], command.Command);
        Assert.Equal(["/bin/other"], entryPoint.Command); // a new entry point drops the image's Cmd
        Assert.Equal("/", entryPoint.WorkingDirectory);
        Assert.Equal(["/bin/other", "x"], both.Command);
    }

    [Fact]
    public void The_program_must_be_in_the_image_found_on_its_path_when_bare()
    {
        Assert.Equal(["node", "x.js"], ImageLaunch.For(_image, new FunctionImage("a.tar") { EntryPoint = ["node", "x.js"] }).Command);

        var bare = Assert.Throws<ImageException>(() => ImageLaunch.For(_image, new FunctionImage("a.tar") { EntryPoint = ["python3"] }));
        var absolute = Assert.Throws<ImageException>(() => ImageLaunch.For(_image, new FunctionImage("a.tar") { EntryPoint = ["/usr/bin/env"] }));

        Assert.Contains("no program 'python3' on its PATH (/var/lang/bin:/usr/bin)", bare.Message, StringComparison.Ordinal);
        Assert.Contains("no file '/usr/bin/env'", absolute.Message, StringComparison.Ordinal); // the host's /usr/bin/env does not count
    }

    [Fact]
    public void An_image_with_nothing_to_run_is_an_error()
    {
        var empty = _image with { Config = new ImageConfig() };

        var error = Assert.Throws<ImageException>(() => ImageLaunch.For(empty, new FunctionImage("a.tar")));

        Assert.Contains("image.entryPoint", error.Message, StringComparison.Ordinal);
        Assert.Equal("/", ImageLaunch.For(empty, new FunctionImage("a.tar") { EntryPoint = ["/bin/other"] }).WorkingDirectory);
    }

    [Fact]
    public void The_images_env_replaces_ferrys_defaults_but_not_its_identity_variables()
    {
        var ferry = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
            ["LAMBDA_TASK_ROOT"] = "/var/task",
            ["LAMBDA_RUNTIME_DIR"] = "/opt/ferry",
            ["AWS_REGION"] = "local",
            ["FERRY_FUNCTION"] = "thumbs",
        };

        var environment = ImageLaunch.For(_image, new FunctionImage("a.tar")).ApplyEnvironment(ferry);

        Assert.Equal("/var/lang/bin:/usr/bin", environment["PATH"]);
        Assert.Equal("en_US.UTF-8", environment["LANG"]);
        Assert.Equal("local", environment["AWS_REGION"]);
        Assert.Equal("thumbs", environment["FERRY_FUNCTION"]);
        Assert.False(environment.ContainsKey("LAMBDA_RUNTIME_DIR")); // Ferry's runtime folder is not in the image
        Assert.False(environment.ContainsKey("NOT-A-PAIR"));
    }
}
