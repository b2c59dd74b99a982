using System.Diagnostics;

namespace Ferry.Runtime.Tests.Bootstrap;

/// <summary>
/// runtime/node/next-prefix.cjs, what Ferry's Next.js launcher does to requests and responses: its tests are
/// node:test cases (node/next-prefix.test.cjs) run here with Node against the module as it is copied to the runtime folder.
/// </summary>
public sealed class NextPrefixTests
{
    [Fact]
    public async Task The_placeholder_base_path_is_routed_and_rewritten_as_the_node_tests_expect()
    {
        var module = Path.Combine(AppContext.BaseDirectory, "runtime", "node", "next-prefix.cjs");
        var tests = Path.Combine(AppContext.BaseDirectory, "Bootstrap", "node", "next-prefix.test.cjs");
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--test");
        info.ArgumentList.Add("--test-reporter=tap");
        info.ArgumentList.Add(tests);
        info.Environment["NEXT_PREFIX_MODULE"] = module;

        using var node = Process.Start(info)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var output = $"{await stdout}\n{await stderr}";

        Assert.True(node.ExitCode == 0, output);
        Assert.Contains("# pass 16", output);
        Assert.Contains("# fail 0", output);
    }
}
