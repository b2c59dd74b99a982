using Ferry.Manifest;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// A kind of runtime a stem cell can become: every function whose runtime names this interpreter (all Node.js
/// versions run the host's <c>node</c>, all Python versions its <c>python3</c>), or, for <see cref="Web"/>, any web
/// function (the cell waits with its bridges listening and execs the function's command, see <see cref="WebCellLaunch"/>).
/// </summary>
public sealed record StemCellFamily
{
    public static readonly StemCellFamily Node = new("node", ["node", $"{SandboxPaths.Runtime}/node/bootstrap.mjs"]);

    public static readonly StemCellFamily Python = new("python", ["python3", "-u", $"{SandboxPaths.Runtime}/python/bootstrap.py"]);

    public static readonly StemCellFamily Web = new("web", WebCellLaunch.WaitingCommand);

    public static readonly IReadOnlyList<StemCellFamily> All = [Node, Python, Web];

    /// <summary>Whether cells of this family wait for a web function's command rather than run Ferry's runtime loop.</summary>
    public bool IsWeb => ReferenceEquals(this, Web);

    private StemCellFamily(string name, IReadOnlyList<string> command)
    {
        Name = name;
        Command = command;
    }

    public string Name { get; }

    /// <summary>
    /// argv of Ferry's runtime loop inside the sandbox; the same as a normal start of a function of this family
    /// (a test holds it to <c>EventFunctionInstance.CommandFor</c>). For <see cref="Web"/>, the waiting shell.
    /// </summary>
    public IReadOnlyList<string> Command { get; }

    /// <summary>The family of an event function's runtime, or <see cref="Web"/> for a web function; null for <c>provided</c> runtimes.</summary>
    public static StemCellFamily? Of(FunctionManifest function)
    {
        if (function.Kind == FunctionKind.Web)
        {
            return Web;
        }

        if (function.Kind != FunctionKind.Event)
        {
            return null;
        }

        return RuntimeCatalog.IsNode(function.Runtime) ? Node
            : RuntimeCatalog.IsPython(function.Runtime) ? Python
            : null;
    }

    public override string ToString() => Name;
}
