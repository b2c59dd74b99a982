using System.Text.Json.Nodes;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// <c>ferry deploy</c> runs framework build steps (here the express preset's <c>npm ci</c>, whose postinstall script
/// belongs to the app) in the build sandbox: the app folder is writable, the rest of the host is not. The build fails
/// before anything is uploaded, so no server is needed.
/// </summary>
public sealed class BuildSandboxTests
{
    /// <summary>Nothing listens there: a deploy that got past its build would fail to connect (exit 2).</summary>
    private const string NoServer = "http://127.0.0.1:9";

    /// <summary>The express sample with a postinstall script that also writes <paramref name="targets"/>.</summary>
    private static string AppWritingOutside(params string[] targets)
    {
        var app = AppCopy.Of(Repo.Sample("web-express"));
        var packageJson = JsonNode.Parse(File.ReadAllText(Path.Combine(app, "package.json")))!;
        packageJson["scripts"] = new JsonObject { ["postinstall"] = "sh escape.sh" };
        File.WriteAllText(Path.Combine(app, "package.json"), packageJson.ToJsonString());
        File.WriteAllText(Path.Combine(app, "escape.sh"), $"touch inside.txt\ntouch {string.Join(' ', targets.Select(t => $"'{t}'"))}\n");
        return app;
    }

    [Fact]
    public async Task A_build_script_that_writes_home_or_etc_fails_the_deploy_and_writes_nothing_there()
    {
        var id = Guid.NewGuid().ToString("N");
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), $"ferry-build-escape-{id}");
        var etc = $"/etc/ferry-build-escape-{id}";
        var app = AppWritingOutside(home, etc);

        var deploy = await FerryCli.RunAsAsync(null, NoServer, app, "deploy");

        Assert.True(deploy.ExitCode == 1, deploy.ToString());
        Assert.Contains("functions.web: npm ci failed with exit code", deploy.Stderr);
        // The whole output on failure: a CI run once lacked these lines, and the reason npm gave was cut off.
        Assert.True(deploy.Stderr.Contains($"touch: cannot touch '{home}': Read-only file system", StringComparison.Ordinal), deploy.ToString());
        Assert.True(deploy.Stderr.Contains($"touch: cannot touch '{etc}': Read-only file system", StringComparison.Ordinal), deploy.ToString());
        Assert.Contains("it ran in the build sandbox", deploy.Stderr);
        Assert.False(File.Exists(home));
        Assert.False(File.Exists(etc));
        // The app folder itself was writable: npm installed into it and the script's own file is there.
        Assert.True(File.Exists(Path.Combine(app, "inside.txt")));
        Assert.True(Directory.Exists(Path.Combine(app, "node_modules", "express")));
    }

    [Fact]
    public async Task Without_the_build_sandbox_the_same_script_writes_outside_the_app_folder()
    {
        var outside = Path.Combine(TempDirectory.Create("outside"), "written-by-the-build");
        var app = AppWritingOutside(outside);

        var sandboxed = await FerryCli.RunAsAsync(null, NoServer, app, "deploy");
        Assert.True(sandboxed.ExitCode == 1, sandboxed.ToString());
        // "Read-only file system", or "No such file or directory" when the checkout is under /tmp (the build's /tmp is
        // a private tmpfs, so the folder is not even there): either way the write was refused.
        Assert.Contains($"touch: cannot touch '{outside}'", sandboxed.Stderr);
        Assert.False(File.Exists(outside));

        var unsandboxed = await FerryCli.RunAsAsync(null, NoServer, app, "deploy", "--no-build-sandbox");
        Assert.DoesNotContain("npm ci failed", unsandboxed.Stderr);
        Assert.True(File.Exists(outside), unsandboxed.ToString());
    }
}
