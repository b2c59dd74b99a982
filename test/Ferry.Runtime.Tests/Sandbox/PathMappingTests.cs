using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class PathMappingTests
{
    private static readonly SandboxSpec Spec = new()
    {
        InstanceId = "i",
        CodeDirectory = "/srv/code",
        RuntimeDirectory = "/srv/runtime",
        Command = ["node"],
        Environment = new Dictionary<string, string>(),
    };

    private static readonly IReadOnlyList<HostRootEntry> MergedUsr =
        [new("/bin", "usr/bin"), new("/lib", "usr/lib"), new("/lib64", "usr/lib64")];

    [Theory]
    [InlineData("/var/task/handler.py", "/srv/code/handler.py")]
    [InlineData("/var/task", "/srv/code")]
    [InlineData("/opt/ferry/node/bootstrap.mjs", "/srv/runtime/node/bootstrap.mjs")]
    [InlineData("/usr/bin/python3", "/usr/bin/python3")]
    [InlineData("/bin/sh", "/bin/sh")]
    [InlineData("/root/.pyenv/shims/python3", null)]
    [InlineData("/var/taskforce/x", null)]
    public void Sandbox_paths_map_to_the_host_files_behind_them(string sandboxPath, string? hostPath)
    {
        Assert.Equal(hostPath, BubblewrapCommandLine.ToHostPath(sandboxPath, Spec, MergedUsr));
    }

    [Fact]
    public void Merged_usr_folders_become_symlinks_and_the_command_follows_a_separator()
    {
        var args = BubblewrapCommandLine.Build(Spec, ["/usr/bin/x", "--looks-like-an-option", "a b"], MergedUsr, seccompDescriptor: null);

        Assert.Contains("--symlink usr/bin /bin", string.Join(' ', args));
        Assert.Contains($"--ro-bind /srv/code {SandboxPaths.Code}", string.Join(' ', args));
        Assert.Equal(["--", "/usr/bin/x", "--looks-like-an-option", "a b"], args.TakeLast(4));
    }

    [Fact]
    public void The_network_is_private_unless_outbound_network_is_allowed()
    {
        Assert.Contains("--unshare-net", BubblewrapCommandLine.Build(Spec, ["/usr/bin/x"], MergedUsr, seccompDescriptor: null));
        Assert.DoesNotContain("--unshare-net", BubblewrapCommandLine.Build(Spec with { AllowOutboundNetwork = true }, ["/usr/bin/x"], MergedUsr, seccompDescriptor: null));
    }

    [Fact]
    public void The_seccomp_descriptor_and_the_bridge_sockets_are_passed_to_bwrap()
    {
        var spec = Spec with
        {
            Bridges = new SandboxBridges
            {
                HostServices = [new HostServiceBridge(9001, "/run/ferry-api/api.sock")],
                PublishedPort = new PublishedPort(8080, "/tmp/i-1/http.sock"),
            },
        };

        var args = string.Join(' ', BubblewrapCommandLine.Build(spec, ["/usr/bin/x"], MergedUsr, seccompDescriptor: 10));

        Assert.Contains("--seccomp 10", args);
        Assert.Contains("--ro-bind /run/ferry-api/api.sock /run/ferry/host/9001.sock", args);
        Assert.Contains("--bind /tmp/i-1 /run/ferry/published", args);
        Assert.EndsWith("-- /usr/bin/x", args);
    }

    [Fact]
    public void The_bridge_launcher_gets_every_bridge_before_the_command()
    {
        var bridges = new SandboxBridges
        {
            HostServices = [new HostServiceBridge(9001, "/a/api.sock")],
            PublishedPort = new PublishedPort(8080, "/tmp/i-1/http.sock"),
        };

        var argv = BridgeLauncher.Wrap(bridges, "/usr/bin/socat", ["node", "app.js"]);

        Assert.Equal(["/bin/sh", "-c"], argv.Take(2));
        Assert.Equal(
            ["ferry-bridge", "/usr/bin/socat", "host", "9001", "/run/ferry/host/9001.sock", "publish", "8080", "/run/ferry/published/http.sock", "--", "node", "app.js"],
            argv.Skip(3));
    }

    [Fact]
    public void Bare_program_names_resolve_on_the_sandbox_path_only_where_the_sandbox_can_see()
    {
        var environment = new Dictionary<string, string> { ["PATH"] = "/root/.pyenv/shims:/usr/local/bin:/usr/bin" };

        var resolved = ExecutableResolver.Resolve("sh", environment, path => BubblewrapCommandLine.ToHostPath(path, Spec, MergedUsr));

        Assert.Equal("/usr/bin/sh", resolved);
    }

    [Fact]
    public void Unknown_programs_are_a_start_failure_naming_the_search_path()
    {
        var error = Assert.Throws<SandboxStartException>(
            () => ExecutableResolver.Resolve("no-such-program-ferry", new Dictionary<string, string>(), p => p));

        Assert.Contains("no-such-program-ferry", error.Message);
        Assert.Contains(ExecutableResolver.DefaultSearchPath, error.Message);
    }

    [Theory]
    [InlineData("/var/task", "/h/code")]
    [InlineData("/var/task/lib/x.py", "/h/code/lib/x.py")]
    [InlineData("/tmp", "/h/tmp")]
    [InlineData("/opt/ferry/python", "/h/runtime/python")]
    [InlineData("/var/task:/opt/ferry/python:/usr/lib", "/h/code:/h/runtime/python:/usr/lib")]
    [InlineData("https://example.com/tmp", "https://example.com/tmp")]
    [InlineData("/tmpfoo", "/tmpfoo")]
    public void Unsandboxed_path_values_are_rewritten_to_the_host_folders(string value, string expected)
    {
        var map = new SandboxPathMap("/h/code", "/h/runtime", "/h/tmp");

        Assert.Equal(expected, map.MapPathList(value));
    }
}
