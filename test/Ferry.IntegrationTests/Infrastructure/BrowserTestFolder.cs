using System.Diagnostics;
using System.Text;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// A folder of browser tests under test/Ferry.IntegrationTests (Node scripts driving headless Chromium through
/// playwright-core): its npm packages are installed once per test run, then its scripts run with Node.
/// </summary>
internal sealed class BrowserTestFolder(string name, params string[] installArguments)
{
    private readonly SemaphoreSlim _installGate = new(1, 1);

    /// <summary>framework-e2e: the page scripts of the Nuxt and Next.js app tests (one instance, so one install at a time).</summary>
    public static BrowserTestFolder Frameworks { get; } = new("framework-e2e", "ci");

    public string Directory { get; } = Path.Combine(Repo.Root, "test", "Ferry.IntegrationTests", name);

    /// <summary>Installs the folder's packages unless playwright-core is already there (scripts/setup.sh installs them).</summary>
    public async Task EnsureNodeModulesAsync()
    {
        await _installGate.WaitAsync();
        try
        {
            if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "playwright-core")))
            {
                var (exitCode, output) = await RunAsync("npm", [.. installArguments, "--no-audit", "--no-fund"], new Dictionary<string, string>());
                Assert.True(exitCode == 0, $"npm {string.Join(' ', installArguments)} in {Directory} failed (run scripts/setup.sh):\n{output}");
            }
        }
        finally
        {
            _installGate.Release();
        }
    }

    /// <summary>
    /// Runs one of the folder's page scripts against <paramref name="url"/> (its PAGE_URL; <paramref name="resolve"/>, "HOST
    /// ADDRESS", its RESOLVE) after installing the folder's packages, asserting that it passed; returns its output.
    /// </summary>
    public async Task<string> RunPageScriptAsync(string script, string url, string? resolve)
    {
        await EnsureNodeModulesAsync();
        var environment = new Dictionary<string, string> { ["PAGE_URL"] = url };
        if (resolve is not null)
        {
            environment["RESOLVE"] = resolve;
        }

        var (exitCode, output) = await RunNodeAsync(script, environment);
        Assert.True(exitCode == 0, $"{script} at {url} failed:\n{output}");
        return output;
    }

    /// <summary>Runs one of the folder's scripts with Node.</summary>
    public Task<(int ExitCode, string Output)> RunNodeAsync(string script, IReadOnlyDictionary<string, string> environment)
        => RunAsync(File.Exists("/usr/bin/node") ? "/usr/bin/node" : "node", [script], environment);

    /// <summary>Runs <paramref name="program"/> in the folder; its output is both streams, labelled. Gives up after 6 minutes.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{program} {string.Join(' ', arguments)} did not finish within 6 minutes\n--- stdout\n{await stdout}\n--- stderr\n{await stderr}");
        }

        return (process.ExitCode, $"--- stdout\n{await stdout}\n--- stderr\n{await stderr}");
    }
}
