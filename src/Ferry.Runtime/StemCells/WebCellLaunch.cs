using System.Runtime.InteropServices;
using System.Text;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// How a web stem cell learns what to run. A web function's program can be anything (node, php, python, a binary), so a
/// web cell does not pre-load an interpreter: it is a sandbox whose bridges already listen and whose shell waits on a
/// FIFO in its run folder. That shell starts with an empty environment. Taking the cell writes a short script into the
/// FIFO: go to the code folder, export exactly the function's environment, then exec the function's command. The
/// waiting shell costs no CPU (a blocking read), and the exec leaves nothing of the cell's own environment behind.
/// <para>
/// The script does in the waiting shell what <c>env -i</c> and a preset's <c>sh -c 'exec …'</c> would each have done in
/// a program of their own: every exec before the app's costs a cold start 0.6–1.3 ms (dynamic loading, and env's
/// locale files). Where the shell cannot do it exactly (a variable name that is not a plain shell name, or one the
/// shell gives a meaning of its own), the script falls back to <c>/usr/bin/env -i</c>.
/// </para>
/// </summary>
internal static partial class WebCellLaunch
{
    /// <summary>Name of the FIFO in the cell's run folder (which the sandbox sees at <see cref="BridgeLauncher.PublishedFolder"/>).</summary>
    public const string FifoName = "launch";

    /// <summary>The FIFO as the sandbox sees it.</summary>
    public const string FifoInSandbox = BridgeLauncher.PublishedFolder + "/" + FifoName;

    /// <summary>The cell's program: a shell with an empty environment that runs whatever arrives on the FIFO.</summary>
    public static readonly IReadOnlyList<string> WaitingCommand = ["/usr/bin/env", "-i", "/bin/sh", "-c", ". " + FifoInSandbox];

    /// <summary>
    /// A script larger than a pipe's buffer could block the host's write if the cell died meanwhile; such functions
    /// (tens of kilobytes of environment) start without a cell.
    /// </summary>
    public const int MaxScriptBytes = 60 * 1024;

    /// <summary>
    /// Variables that dash reads or refuses as its own when they are assigned (OPTIND must be a number), so exporting
    /// them in the waiting shell could change how the rest of the script runs.
    /// </summary>
    private static readonly HashSet<string> ShellVariables = new(StringComparer.Ordinal)
    {
        "IFS", "OPTIND", "OPTARG", "PPID", "LINENO", "PS1", "PS2", "PS4", "ENV", "HISTSIZE", "MAIL", "MAILCHECK", "MAILPATH", "TERM",
    };

    /// <summary>The script that makes the waiting shell the function's process.</summary>
    public static string Script(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string workingDirectory = SandboxPaths.Code)
    {
        var script = new StringBuilder();
        script.Append("cd ").Append(Quote(workingDirectory)).Append(" || exit 126\n");
        if (!environment.Keys.All(IsPlainShellName))
        {
            script.Append("exec /usr/bin/env -i");
            AppendWords(script, Assignments(environment));
            AppendWords(script, command);
            return script.Append('\n').ToString();
        }

        // dash exports PWD at start and OLDPWD after a cd: neither is the function's unless it sets them.
        script.Append("unset OLDPWD PWD\n");
        if (environment.Count > 0)
        {
            script.Append("export");
            AppendWords(script, Assignments(environment));
            script.Append('\n');
        }

        if (InlineShellCommand(command) is { } inline)
        {
            // `sh -c 'exec …'`: the waiting shell is that sh already; it expands the words and execs the program. Should
            // the line not replace the shell after all (`exec 2>&1; node app.js`), the shell ends with its status, as
            // `sh -c` would, instead of reading on from the FIFO.
            return script.Append(inline).Append("\nexit $?\n").ToString();
        }

        script.Append("exec");
        AppendWords(script, command);
        return script.Append('\n').ToString();
    }

    private static IEnumerable<string> Assignments(IReadOnlyDictionary<string, string> environment)
        => environment.Select(variable => variable.Key + "=" + variable.Value);

    private static void AppendWords(StringBuilder script, IEnumerable<string> words)
    {
        foreach (var word in words)
        {
            script.Append(' ').Append(Quote(word));
        }
    }

    /// <summary>
    /// The script of a <c>sh -c SCRIPT</c> command that the waiting shell can run itself: one line that starts with
    /// <c>exec </c> (a preset's form: the shell expands <c>$PORT</c> and becomes the app). Null for anything else,
    /// which runs in an <c>sh -c</c> of its own.
    /// </summary>
    internal static string? InlineShellCommand(IReadOnlyList<string> command)
        => command is [var shell, "-c", var text]
           && shell is "sh" or "/bin/sh"
           && text.StartsWith("exec ", StringComparison.Ordinal)
           && !text.Contains('\n', StringComparison.Ordinal)
           && !text.Contains('\r', StringComparison.Ordinal)
            ? text
            : null;

    /// <summary>Whether <paramref name="name"/> can be exported by the shell as is: a POSIX name the shell has no use of its own for.</summary>
    internal static bool IsPlainShellName(string name)
        => name.Length > 0
           && (char.IsAsciiLetter(name[0]) || name[0] == '_')
           && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
           && !ShellVariables.Contains(name);

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
