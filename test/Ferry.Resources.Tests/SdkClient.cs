using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Ferry.Resources.Tests;

/// <summary>
/// Runs an AWS SDK client script (node or python3) from one of the npm folders next to the tests (s3-client,
/// sqs-client, dynamodb-client) and reads the JSON line it prints last.
/// </summary>
internal static class SdkClient
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InstallGates = new(StringComparer.Ordinal);

    public static string Node => File.Exists("/usr/bin/node") ? "/usr/bin/node" : "node";

    /// <summary>The test project's folder <paramref name="name"/> (e.g. <c>sqs-client</c>).</summary>
    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", name);

    /// <summary>Runs <c>npm install</c> in <paramref name="folder"/> unless <paramref name="package"/> is installed there (scripts/setup.sh does it once).</summary>
    public static async Task EnsureInstalledAsync(string folder, string package)
    {
        var gate = InstallGates.GetOrAdd(Path.GetFullPath(folder), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(folder, "node_modules", package)))
            {
                var install = await RunAsync("npm", ["install", "--no-audit", "--no-fund"], folder);
                Assert.True(install.ExitCode == 0, $"npm install in {folder} failed (run scripts/setup.sh):\n{install.Output}");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs the script with <paramref name="argument"/> as JSON; returns its last stdout line parsed, failing the test when it exits non-zero or reports an error.</summary>
    public static async Task<JsonElement> RunScriptAsync(string program, string script, string folder, object argument)
    {
        var run = await RunAsync(program, [script, JsonSerializer.Serialize(argument)], folder);
        Assert.True(run.ExitCode == 0, $"{program} {script} failed:\n{run.Output}");
        var last = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        var root = JsonDocument.Parse(last).RootElement.Clone();
        Assert.False(root.TryGetProperty("error", out _), run.Output);
        return root;
    }

    public static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, string folder)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Keep the SDKs from reading a developer's real AWS configuration.
        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        info.Environment.Remove("AWS_PROFILE");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, $"--- stdout\n{await stdout}\n--- stderr\n{await stderr}");
    }
}
