using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>The bwrap command line of a build step, the environment it gets, and how its program and folder are found.</summary>
public sealed class BuildSandboxTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static BuildSandbox Sandbox(string? prlimit = "/usr/bin/prlimit") =>
        new("/usr/bin/bwrap", prlimit, "/home/dev/.ferry/build-cache", new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["CI"] = "1" });

    /// <summary>Index of the option <paramref name="name"/> followed by <paramref name="values"/>; -1 when absent.</summary>
    private static int IndexOf(IReadOnlyList<string> args, string name, params string[] values)
    {
        for (var i = 0; i + values.Length < args.Count; i++)
        {
            if (args[i] == name && values.Select((v, j) => args[i + 1 + j] == v).All(same => same))
            {
                return i;
            }
        }

        return -1;
    }

    [Fact]
    public void The_host_is_read_only_and_only_the_app_folder_and_the_build_home_are_bound_writable()
    {
        var args = Sandbox().CommandLine("/work/app", ["/usr/bin/npm", "ci"]);

        Assert.Equal("/usr/bin/bwrap", args[0]);
        var root = IndexOf(args, "--ro-bind", "/", "/");
        Assert.True(root > 0);
        var binds = args.Select((a, i) => (a, i)).Where(x => x.a == "--bind").Select(x => args[x.i + 1]).ToList();
        Assert.Equal(["/home/dev/.ferry/build-cache", "/work/app"], binds);
        // The writable binds come after the read-only root, so they are mounted over it.
        Assert.True(IndexOf(args, "--bind", "/work/app", "/work/app") > root);
        Assert.True(IndexOf(args, "--bind", "/home/dev/.ferry/build-cache", "/home/dev/.ferry/build-cache") > root);
        Assert.True(IndexOf(args, "--tmpfs", "/tmp") > root);
        Assert.True(IndexOf(args, "--tmpfs", "/run") > root);
        Assert.True(IndexOf(args, "--size", (1L << 30).ToString()) >= 0);
        Assert.True(IndexOf(args, "--chdir", "/work/app") > 0);
    }

    [Fact]
    public void The_build_has_no_capabilities_its_own_namespaces_and_dies_with_the_cli_but_shares_the_network()
    {
        var args = Sandbox().CommandLine("/work/app", ["/usr/bin/npm", "ci"]);
        var options = args.Take(args.ToList().IndexOf("--")).ToList();

        foreach (var flag in new[] { "--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session" })
        {
            Assert.Contains(flag, options);
        }

        Assert.True(IndexOf(args, "--cap-drop", "ALL") > 0);
        Assert.DoesNotContain("--unshare-net", options);
        Assert.DoesNotContain("--unshare-all", options);
        Assert.DoesNotContain("--share-net", options);
    }

    [Fact]
    public void The_environment_is_cleared_and_set_with_home_as_the_build_cache()
    {
        var args = Sandbox().CommandLine("/work/app", ["/usr/bin/npm", "ci"]);

        var clear = args.ToList().IndexOf("--clearenv");
        Assert.True(clear > 0);
        var set = args.Select((a, i) => (a, i)).Where(x => x.a == "--setenv").ToDictionary(x => args[x.i + 1], x => args[x.i + 2]);
        Assert.All(args.Select((a, i) => (a, i)).Where(x => x.a == "--setenv"), x => Assert.True(x.i > clear));
        Assert.Equal(new Dictionary<string, string>
        {
            ["CI"] = "1", ["HOME"] = "/home/dev/.ferry/build-cache", ["PATH"] = "/usr/bin:/bin", ["TMPDIR"] = "/tmp",
        }, set);
    }

    [Fact]
    public void The_command_runs_under_prlimit_with_the_limits()
    {
        var sandbox = Sandbox() with { Limits = BuildLimits.Default with { MemoryBytes = 1000, MaxProcesses = 7, CpuSeconds = 60, MaxFileBytes = 5000 } };

        var args = sandbox.CommandLine("/work/app", ["/usr/bin/npm", "ci"]);

        var separator = args.ToList().IndexOf("--");
        Assert.Equal(
            ["/usr/bin/prlimit", "--data=1000", "--nproc=7", "--cpu=60", "--fsize=5000", "--core=0", "--", "/usr/bin/npm", "ci"],
            args.Skip(separator + 1));
    }

    [Fact]
    public void Without_prlimit_the_command_follows_the_sandbox_options()
    {
        var args = Sandbox(prlimit: null).CommandLine("/work/app", ["/usr/bin/npm", "ci"]);

        Assert.Equal(["--", "/usr/bin/npm", "ci"], args.TakeLast(3));
    }

    [Fact]
    public void The_build_environment_keeps_what_package_managers_need_and_drops_secrets()
    {
        var host = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin", ["LANG"] = "C.UTF-8", ["HTTPS_PROXY"] = "http://proxy:3128", ["npm_config_registry"] = "http://registry.local/",
            ["PIP_INDEX_URL"] = "http://pypi.local/", ["NODE_EXTRA_CA_CERTS"] = "/etc/ca.pem",
            ["AWS_SECRET_ACCESS_KEY"] = "secret", ["FERRY_TOKEN"] = "token", ["SSH_AUTH_SOCK"] = "/run/ssh", ["GITHUB_TOKEN"] = "ghp",
            ["HOME"] = "/home/dev", ["npm_config_cache"] = "/home/dev/.npm", ["COMPOSER_HOME"] = "/home/dev/.composer",
        };

        var environment = BuildEnvironment.Create(host, "/home/dev", path => path == "/home/dev/.npmrc");

        Assert.Equal(new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin", ["LANG"] = "C.UTF-8", ["HTTPS_PROXY"] = "http://proxy:3128", ["npm_config_registry"] = "http://registry.local/",
            ["PIP_INDEX_URL"] = "http://pypi.local/", ["NODE_EXTRA_CA_CERTS"] = "/etc/ca.pem",
            ["NPM_CONFIG_USERCONFIG"] = "/home/dev/.npmrc", ["CI"] = "1", ["NEXT_TELEMETRY_DISABLED"] = "1",
        }, environment);
    }

    [Fact]
    public void A_settings_file_named_by_the_developer_wins_over_the_one_in_the_home_folder()
    {
        var host = new Dictionary<string, string> { ["npm_config_userconfig"] = "/etc/npmrc" };

        var environment = BuildEnvironment.Create(host, "/home/dev", _ => true);

        Assert.Equal("/etc/npmrc", environment["npm_config_userconfig"]);
        Assert.False(environment.ContainsKey("NPM_CONFIG_USERCONFIG"));
        Assert.Equal("/home/dev/.config/pip/pip.conf", environment["PIP_CONFIG_FILE"]);
        Assert.Equal("/home/dev/.pyenv", environment["PYENV_ROOT"]);
    }

    [Fact]
    public void A_program_is_found_on_the_path_or_relative_to_the_app_folder()
    {
        _temp.WriteFile("bin/tool", "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        _temp.WriteFile("bin/data", "not a program");

        Assert.Equal(_temp.Combine("bin/tool"), BuildProgram.Resolve("tool", "/", "/nowhere:" + _temp.Combine("bin")));
        Assert.Equal(_temp.Combine("bin/tool"), BuildProgram.Resolve("./bin/tool", _temp.Path, null));
        Assert.Null(BuildProgram.Resolve("data", "/", _temp.Combine("bin")));
        Assert.Null(BuildProgram.Resolve("ferry-no-such-tool-xyz", "/", "/usr/bin:/bin"));
    }

    [Fact]
    public void The_app_folder_is_bound_at_its_real_path_with_links_resolved()
    {
        Directory.CreateDirectory(_temp.Combine("real/app"));
        Directory.CreateSymbolicLink(_temp.Combine("link"), "real");
        Directory.CreateSymbolicLink(_temp.Combine("real/again"), "../link/app");

        var real = BuildProgram.RealPath(_temp.Path);

        Assert.Equal(Path.Combine(real, "real", "app"), BuildProgram.RealPath(_temp.Combine("link/app")));
        Assert.Equal(Path.Combine(real, "real", "app"), BuildProgram.RealPath(_temp.Combine("real/again")));
    }

    [Theory]
    [InlineData(1, "bwrap: Unable to apply mount flags: remount \"/newroot/srv/ferry-data/stem-cells/node\": No such file or directory", true)]
    [InlineData(1, "bwrap: Can't bind mount /oldroot/tmp/x on /newroot/tmp/x: No such file or directory\n", true)]
    // Something the step printed: the step ran, so it is its failure and is never run again.
    [InlineData(1, "building\nbwrap: Unable to apply mount flags: remount \"/newroot/x\": No such file or directory", false)]
    [InlineData(1, "bwrap: execvp npm: No such file or directory", false)]
    [InlineData(1, "bwrap: Unable to apply mount flags: remount \"/newroot/x\": Operation not permitted", false)]
    [InlineData(2, "bwrap: Unable to apply mount flags: remount \"/newroot/x\": No such file or directory", false)]
    [InlineData(1, "", false)]
    public void Only_a_sandbox_start_that_lost_a_host_mount_counts_as_a_race(int exitCode, string output, bool raced) =>
        Assert.Equal(raced, BuildSandbox.StartRacedWithUnmount(exitCode, output));
}
