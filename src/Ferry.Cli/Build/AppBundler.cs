using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ferry.Cli.Output;
using Ferry.Manifest;

namespace Ferry.Cli.Build;

/// <summary>
/// Runs the <see cref="EsbuildPlan"/> of an app before its handler files are checked and it is packaged; returns the
/// manifest that runs the built files (or the same manifest when nothing needs building). Shows progress on stderr;
/// esbuild's warnings are passed on, and its errors (with file:line:column) fail the command.
/// </summary>
internal static class AppBundler
{
    /// <summary>esbuild gets this long; a bundle of a large app takes seconds.</summary>
    private static readonly TimeSpan TimeLimit = TimeSpan.FromMinutes(5);

    /// <summary>Most of esbuild's output kept for messages.</summary>
    private const int MaxOutputChars = 64 * 1024;

    /// <exception cref="CliUserException">esbuild is missing or fails.</exception>
    public static async Task<ServiceManifest> BuildAsync(
        ServiceManifest manifest, string appDirectory, CliOutput cli, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(cli);
        var plan = EsbuildPlan.Create(manifest, appDirectory);
        if (plan is null)
        {
            return manifest;
        }

        var esbuild = EsbuildTool.Find(appDirectory, context.Environment);
        var count = plan.Functions.Count;
        var what = count == 1 ? "1 function" : $"{count.ToString(CultureInfo.InvariantCulture)} functions";
        var status = cli.StartStatus();
        status.Update($"Bundling {what} with esbuild…");
        var stopwatch = Stopwatch.StartNew();
        string warnings;
        try
        {
            PrepareOutputFolder(appDirectory);
            warnings = await RunAsync(esbuild, plan.Arguments, appDirectory, cancellationToken);
        }
        catch
        {
            status.Clear();
            throw;
        }

        var seconds = stopwatch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        status.Complete($"Bundling {what} with esbuild… done in {seconds} s");
        if (warnings.Length > 0)
        {
            cli.WriteWarning($"esbuild: {warnings}");
        }

        return plan.Manifest;
    }

    /// <summary>
    /// Empties <c>.ferry/build</c> (stale files would be packaged) and marks it CommonJS, so an app whose package.json
    /// says <c>"type": "module"</c> still loads the CommonJS output.
    /// </summary>
    private static void PrepareOutputFolder(string appDirectory)
    {
        var ferryFolder = Path.Combine(appDirectory, ".ferry");
        var output = Path.Combine(appDirectory, EsbuildPlan.OutputFolder);
        foreach (var folder in new[] { ferryFolder, output })
        {
            if (new DirectoryInfo(folder) is { Exists: true, LinkTarget: not null })
            {
                throw new CliUserException($"{folder} is a symbolic link; Ferry writes its build there and will not follow it. Remove it.");
            }
        }

        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "package.json"), "{\"type\":\"commonjs\"}\n");
    }

    /// <returns>esbuild's warnings (empty when none).</returns>
    private static async Task<string> RunAsync(
        string esbuild, IReadOnlyList<string> arguments, string appDirectory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(esbuild)
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["NO_COLOR"] = "1";
        using var process = StartProcess(info, esbuild);
        var stdout = ReadLimitedAsync(process.StandardOutput, cancellationToken);
        var stderr = ReadLimitedAsync(process.StandardError, cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new CliUserException($"esbuild did not finish within {TimeLimit.TotalMinutes} minutes; stopped.");
        }

        await stdout;
        var messages = (await stderr).Trim();
        if (process.ExitCode != 0)
        {
            throw new CliUserException(
                $"esbuild could not build the app (exit code {process.ExitCode}):{Environment.NewLine}{(messages.Length > 0 ? messages : "(no message)")}");
        }

        return messages;
    }

    private static Process StartProcess(ProcessStartInfo info, string esbuild)
    {
        try
        {
            return Process.Start(info) ?? throw new CliUserException($"could not start {esbuild}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliUserException($"could not start {esbuild}: {e.Message}", e);
        }
    }

    private static async Task<string> ReadLimitedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (text.Length < MaxOutputChars)
            {
                text.Append(buffer, 0, Math.Min(read, MaxOutputChars - text.Length));
            }
        }

        return text.ToString();
    }
}
