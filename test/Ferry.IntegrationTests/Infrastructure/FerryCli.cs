using System.Diagnostics;
using System.Text;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>Runs the real <c>ferry</c> CLI (the built ferry.dll) as a separate process, like a user would.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public static class FerryCli
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "ferry.dll");

    /// <summary>Runs the CLI as the test server's admin.</summary>
    public static Task<CliResult> RunAsync(string serverUrl, string workingDirectory, params string[] args)
        => RunAsAsync(FerryTestServer.AdminTokenFor(serverUrl), serverUrl, workingDirectory, args);

    /// <summary>Runs the CLI as the test server's admin, waiting up to <paramref name="timeout"/> (a framework build can take minutes).</summary>
    public static Task<CliResult> RunAsync(TimeSpan timeout, string serverUrl, string workingDirectory, params string[] args)
        => RunCoreAsync(FerryTestServer.AdminTokenFor(serverUrl), serverUrl, workingDirectory, timeout, args);

    /// <summary>Runs the CLI with <paramref name="token"/> as FERRY_TOKEN (null: none).</summary>
    public static Task<CliResult> RunAsAsync(string? token, string serverUrl, string workingDirectory, params string[] args)
        => RunCoreAsync(token, serverUrl, workingDirectory, TimeSpan.FromMinutes(2), args);

    /// <summary>
    /// Runs the CLI as the test server's admin with extra environment variables (a null value removes one), e.g.
    /// <see cref="WithDeployCache"/> to use the deploy cache, which is off otherwise.
    /// </summary>
    public static Task<CliResult> RunWithAsync(IReadOnlyDictionary<string, string?> environment, string serverUrl, string workingDirectory, params string[] args)
        => RunCoreAsync(FerryTestServer.AdminTokenFor(serverUrl), serverUrl, workingDirectory, TimeSpan.FromMinutes(2), args, environment);

    /// <summary>
    /// The deploy cache on, with its records in <paramref name="cacheHome"/> (XDG_CACHE_HOME). Other runs have it off
    /// (FERRY_DEPLOY_CACHE=off): a second deploy in a test uploads as before.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> WithDeployCache(string cacheHome)
        => new Dictionary<string, string?> { ["FERRY_DEPLOY_CACHE"] = null, ["XDG_CACHE_HOME"] = cacheHome };

    private static async Task<CliResult> RunCoreAsync(string? token, string serverUrl, string workingDirectory, TimeSpan timeout, string[] args,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var process = StartAs(token, serverUrl, workingDirectory, args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"ferry {string.Join(' ', args)} in {workingDirectory} did not finish within {timeout.TotalMinutes:0} minutes; its stderr:\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(string serverUrl, string workingDirectory, params string[] args)
        => StartAs(FerryTestServer.AdminTokenFor(serverUrl), serverUrl, workingDirectory, args);

    public static Process StartAs(string? token, string serverUrl, string workingDirectory, params string[] args)
        => StartAs(token, serverUrl, workingDirectory, args, environment: null);

    private static Process StartAs(string? token, string serverUrl, string workingDirectory, string[] args, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["FERRY_URL"] = serverUrl;
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("FERRY_TOKEN");
        if (token is not null)
        {
            info.Environment["FERRY_TOKEN"] = token;
        }

        // Builds (composer, pip) may keep their caches under XDG_CACHE_HOME: it is only moved by WithDeployCache.
        info.Environment["FERRY_DEPLOY_CACHE"] = "off";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start the ferry CLI");
    }
}
