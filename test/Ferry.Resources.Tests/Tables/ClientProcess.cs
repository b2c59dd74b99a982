using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Ferry.Resources.Tests.Tables;

/// <summary>Runs an SDK client script (node or python3) and reads the JSON line it prints last.</summary>
internal static class ClientProcess
{
    public static readonly string JavaScriptDirectory = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "dynamodb-client");

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static async Task EnsureJavaScriptClientAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(JavaScriptDirectory, "node_modules", "@aws-sdk", "lib-dynamodb")))
            {
                var install = await RunAsync("npm", ["install", "--no-audit", "--no-fund"], JavaScriptDirectory);
                Assert.True(install.ExitCode == 0, $"npm install in {JavaScriptDirectory} failed (run scripts/setup.sh):\n{install.Output}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>Runs the script and returns its last stdout line parsed; fails the test when it exits non-zero or reports an error.</summary>
    public static async Task<JsonElement> RunScriptAsync(string program, string script, string directory, object argument)
    {
        var run = await RunAsync(program, [script, JsonSerializer.Serialize(argument)], directory);
        Assert.True(run.ExitCode == 0, $"{program} {script} failed:\n{run.Output}");
        var last = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        var root = JsonDocument.Parse(last).RootElement.Clone();
        Assert.False(root.TryGetProperty("error", out _), run.Output);
        return root;
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, string directory)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
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
