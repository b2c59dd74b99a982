using System.Diagnostics;

namespace Ferry.Runtime.Tests.Bootstrap;

/// <summary>How to start one of Ferry's runtime loops directly on the host (no sandbox).</summary>
internal sealed record BootstrapRuntime(string Name, string Executable, IReadOnlyList<string> Arguments)
{
    private static string RuntimeFolder => Path.Combine(AppContext.BaseDirectory, "runtime");

    public static BootstrapRuntime Node { get; } =
        new("node", "node", [Path.Combine(RuntimeFolder, "node", "bootstrap.mjs")]);

    // The system interpreter starts faster than a version manager's shim on PATH.
    public static BootstrapRuntime Python { get; } =
        new("python", File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
            ["-u", Path.Combine(RuntimeFolder, "python", "bootstrap.py")]);
}

/// <summary>A running runtime loop whose stdout and stderr are captured line by line.</summary>
internal sealed class BootstrapProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Task<int> _exited;

    private BootstrapProcess(Process process)
    {
        _process = process;
        var stdoutPump = PumpAsync(process.StandardOutput, _stdout);
        var stderrPump = PumpAsync(process.StandardError, _stderr);
        _exited = WaitForExitAsync(process, stdoutPump, stderrPump);
    }

    public static BootstrapProcess Start(BootstrapRuntime runtime, IReadOnlyDictionary<string, string> environment)
    {
        var script = runtime.Arguments[^1];
        if (!File.Exists(script))
        {
            throw new FileNotFoundException($"The {runtime.Name} runtime loop is not in the test output; Ferry.Runtime.csproj is expected to copy Bootstrap/** to runtime/.", script);
        }
        var startInfo = new ProcessStartInfo(runtime.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = environment["LAMBDA_TASK_ROOT"],
        };
        foreach (var argument in runtime.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // Like a sandbox, the loop sees only the environment it is given (e.g. no inherited PYTHONUNBUFFERED).
        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }
        var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{runtime.Executable}'.");
        return new BootstrapProcess(process);
    }

    /// <summary>Exit code, once the process has exited and both output streams have ended.</summary>
    public Task<int> Exited => _exited;

    public IReadOnlyList<string> StdoutLines
    {
        get { lock (_stdout) return [.. _stdout]; }
    }

    public string Stderr
    {
        get { lock (_stderr) return string.Join('\n', _stderr); }
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    private static async Task PumpAsync(StreamReader reader, List<string> lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (lines) lines.Add(line);
        }
    }

    private static async Task<int> WaitForExitAsync(Process process, Task stdoutPump, Task stderrPump)
    {
        await process.WaitForExitAsync();
        await Task.WhenAll(stdoutPump, stderrPump);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        await _exited;
        _process.Dispose();
    }
}
