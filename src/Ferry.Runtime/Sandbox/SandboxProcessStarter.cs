using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>What the host should execute for one sandbox.</summary>
/// <param name="Program">Absolute host path of the outermost program (bwrap, or the function's own program).</param>
/// <param name="Environment">The complete environment of <paramref name="Program"/>.</param>
internal sealed record HostCommand(
    string Program,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory);

/// <summary>Starts a <see cref="HostCommand"/> inside a cgroup.</summary>
internal static class SandboxProcessStarter
{
    /// <summary>
    /// Joins every cgroup.procs given before "--", then execs the rest: the payload is inside its cgroup before its
    /// first instruction, so nothing it forks can escape the limits. Paths and argv travel as arguments, never as
    /// shell text.
    /// </summary>
    private const string JoinCgroupsScript =
        """
        while [ "$1" != "--" ]; do
          echo $$ > "$1" || { echo "ferry: could not join cgroup $1" >&2; exit 125; }
          shift
        done
        shift
        exec "$@"
        """;

    private const string Shell = "/bin/sh";

    public static async Task<SandboxedProcess> StartAsync(HostCommand command, InstanceCgroup? cgroup, ILogger logger, Func<ValueTask>? cleanup)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = command.WorkingDirectory,
        };

        if (cgroup is null)
        {
            startInfo.FileName = command.Program;
        }
        else
        {
            startInfo.FileName = Shell;
            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add(JoinCgroupsScript);
            startInfo.ArgumentList.Add("ferry-join-cgroup"); // $0
            foreach (var procsFile in cgroup.ProcsFiles)
            {
                startInfo.ArgumentList.Add(procsFile);
            }

            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(command.Program);
        }

        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (name, value) in command.Environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            await LauncherThread.RunAsync(() => process.Start());
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            process.Dispose();
            if (cgroup is not null)
            {
                await cgroup.RemoveAsync();
            }

            if (cleanup is not null)
            {
                await cleanup();
            }

            throw new SandboxStartException($"could not start {startInfo.FileName}: {ex.Message}", ex);
        }

        // The sandbox reads no input: give it end-of-file rather than a pipe that never closes.
        process.StandardInput.Close();
        return new SandboxedProcess(process, cgroup, logger, cleanup);
    }
}
