using System.Runtime.InteropServices;
using System.Text;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// How a web stem cell learns what to run. A web function's program can be anything (node, php, python, a binary), so a
/// web cell does not pre-load an interpreter: it is a sandbox whose bridges already listen and whose shell waits on a
/// FIFO in its run folder. Taking the cell writes a short script into the FIFO: go to the code folder, then
/// <c>exec env -i</c> the function's command with exactly the function's environment. The waiting shell costs no CPU
/// (a blocking read) and the exec leaves nothing of the cell's own environment behind.
/// </summary>
internal static partial class WebCellLaunch
{
    /// <summary>Name of the FIFO in the cell's run folder (which the sandbox sees at <see cref="BridgeLauncher.PublishedFolder"/>).</summary>
    public const string FifoName = "launch";

    /// <summary>The FIFO as the sandbox sees it.</summary>
    public const string FifoInSandbox = BridgeLauncher.PublishedFolder + "/" + FifoName;

    /// <summary>The cell's program: a shell that runs whatever arrives on the FIFO.</summary>
    public static readonly IReadOnlyList<string> WaitingCommand = ["/bin/sh", "-c", ". " + FifoInSandbox];

    /// <summary>
    /// A script larger than a pipe's buffer could block the host's write if the cell died meanwhile; such functions
    /// (tens of kilobytes of environment) start without a cell.
    /// </summary>
    public const int MaxScriptBytes = 60 * 1024;

    /// <summary>The script that makes the waiting shell the function's process.</summary>
    public static string Script(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string workingDirectory = SandboxPaths.Code)
    {
        var script = new StringBuilder();
        script.Append("cd ").Append(Quote(workingDirectory)).Append(" || exit 126\n");
        script.Append("exec /usr/bin/env -i");
        foreach (var (name, value) in environment)
        {
            script.Append(' ').Append(Quote(name + "=" + value));
        }

        foreach (var argument in command)
        {
            script.Append(' ').Append(Quote(argument));
        }

        return script.Append('\n').ToString();
    }

    /// <summary>A POSIX shell word that is exactly <paramref name="text"/>: single quotes, each quote written <c>'\''</c>.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Why <paramref name="command"/> cannot be launched through a web cell, or null when it can.</summary>
    public static string? Mismatch(IReadOnlyList<string>? command, IReadOnlyDictionary<string, string> environment)
    {
        if (command is null || command.Count == 0)
        {
            return "the web function has no command";
        }

        if (environment.Keys.Any(name => name.Length == 0 || name.Contains('=', StringComparison.Ordinal)))
        {
            return "an environment variable's name is empty or contains '='";
        }

        if (command[0].Contains('=', StringComparison.Ordinal))
        {
            return "the program's name contains '=', which env(1) would read as a variable";
        }

        return Encoding.UTF8.GetByteCount(Script(command, environment)) > MaxScriptBytes
            ? "the command and environment are larger than a web cell's launch script may be"
            : null;
    }

    /// <summary>Creates the FIFO (mode 0644: the cell's unprivileged user reads it, only the server writes it).</summary>
    public static void CreateFifo(string path)
    {
        if (MakeFifo(path, 0x1A4) != 0)
        {
            throw new IOException($"could not create the FIFO {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        // The umask may have taken bits away; the cell's user must be able to read it.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>
    /// Opens the FIFO for reading and writing. On Linux that never blocks, and while the server holds it the cell's
    /// shell finds a writer: its open returns at once and its read waits for the script.
    /// </summary>
    public static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
