using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>What the host should execute for one sandbox.</summary>
/// <param name="Program">Absolute host path of the outermost program (bwrap, or the function's own program).</param>
/// <param name="Environment">The complete environment of <paramref name="Program"/>.</param>
/// <param name="FileSizeLimitBytes">RLIMIT_FSIZE of the program and everything it starts.</param>
/// <param name="InputFile">A file opened for reading as descriptor <see cref="SandboxProcessStarter.InputFileDescriptor"/> of the program.</param>
/// <param name="StandardInput">Bytes the program reads on its standard input before end-of-file (bwrap's --args 0); null: end-of-file at once.</param>
internal sealed record HostCommand(
    string Program,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    long FileSizeLimitBytes,
    string? InputFile = null,
    ReadOnlyMemory<byte>? StandardInput = null);

/// <summary>Starts a <see cref="HostCommand"/> inside a cgroup, with its resource limits.</summary>
internal static class SandboxProcessStarter
{
    /// <summary>
    /// The descriptor <see cref="HostCommand.InputFile"/> is open on (for bwrap's --seccomp FD); written out in
    /// <see cref="LaunchScript"/>, and a single digit because dash redirects only descriptors 0-9.
    /// </summary>
    public const int InputFileDescriptor = 9;

    /// <summary>
    /// Joins every cgroup.procs given before "--", sets the file-size limit, opens the input file, then execs the
    /// rest: the payload is inside its cgroup and limits before its first instruction, so nothing it forks can escape
    /// them. Paths and argv travel as arguments, never as shell text.
    /// Usage: launch FSIZE_BLOCKS INPUT_FILE|- CGROUP_PROCS... -- PROGRAM ARG...
    /// (ulimit -f counts 512-byte blocks in POSIX shells.)
    /// </summary>
    private const string LaunchScript =
        """
        fsize=$1 input=$2
        shift 2
        while [ "$1" != "--" ]; do
          echo $$ > "$1" || { echo "ferry: could not join cgroup $1" >&2; exit 125; }
          shift
        done
        shift
        ulimit -f "$fsize" || { echo "ferry: could not limit file sizes to $fsize blocks" >&2; exit 125; }
        if [ "$input" != "-" ]; then
          exec 9<"$input" || { echo "ferry: could not open $input" >&2; exit 125; }
        fi
        exec "$@"
        """;

    private const string Shell = "/bin/sh";
    private const long BlockSize = 512;

    public static async Task<SandboxedProcess> StartAsync(HostCommand command, InstanceCgroup? cgroup, ILogger logger, Func<ValueTask>? cleanup)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = command.WorkingDirectory,
            FileName = Shell,
        };

        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(LaunchScript);
        startInfo.ArgumentList.Add("ferry-launch"); // $0
        var blocks = (command.FileSizeLimitBytes + BlockSize - 1) / BlockSize;
        startInfo.ArgumentList.Add(blocks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add(command.InputFile ?? "-");
        foreach (var procsFile in cgroup?.ProcsFiles ?? [])
        {
            startInfo.ArgumentList.Add(procsFile);
        }

        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(command.Program);
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

        var sandboxed = new SandboxedProcess(process, cgroup, logger, cleanup);
        if (command.StandardInput is { } input)
        {
            _ = WriteInputAsync(process, input, logger);
        }
        else
        {
            // The sandbox reads no input: give it end-of-file rather than a pipe that never closes.
            process.StandardInput.Close();
        }

        return sandboxed;
    }

    /// <summary>Writes <paramref name="input"/>, then closes the pipe; a program that died before reading it is not an error here (its exit is).</summary>
    private static async Task WriteInputAsync(Process process, ReadOnlyMemory<byte> input, ILogger logger)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            await process.StandardInput.BaseStream.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            logger.LogDebug(ex, "The sandbox's launcher (pid {Pid}) did not read its input", process.Id);
        }
        finally
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already gone: nothing to close.
            }
        }
    }
}
