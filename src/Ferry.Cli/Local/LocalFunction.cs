using System.Globalization;
using Ferry.Manifest;

namespace Ferry.Cli.Local;

/// <summary>An event function of a loaded serverless.yml, about to run on the developer's machine.</summary>
/// <param name="AppDirectory">The app folder: <c>LAMBDA_TASK_ROOT</c> and the runtime loop's working directory.</param>
/// <param name="RuntimeDirectory">Ferry's runtime loops (<c>node/bootstrap.mjs</c>, <c>python/bootstrap.py</c>).</param>
internal sealed record LocalFunction(ServiceManifest Manifest, FunctionManifest Function, string AppDirectory, string RuntimeDirectory)
{
    /// <summary>Where the CLI's build puts Ferry's runtime loops: <c>runtime/</c> next to ferry.dll.</summary>
    public static string DefaultRuntimeDirectory => Path.Combine(AppContext.BaseDirectory, "runtime");

    /// <summary>The Python the server runs functions with; a shim earlier on PATH (pyenv) is not wanted.</summary>
    private const string SystemPython = "/usr/bin/python3";

    /// <summary><c>service-stage-function</c>, the name Lambda (and the Ferry server) give the function.</summary>
    public string QualifiedName => $"{Manifest.Service}-{Manifest.Provider.Stage}-{Function.Name}";

    public string Arn => $"arn:aws:lambda:{Manifest.Provider.Region}:000000000000:function:{QualifiedName}";

    public TimeSpan Timeout => TimeSpan.FromSeconds(Function.Timeout);

    /// <summary>Finds <paramref name="name"/> among the manifest's functions; it must be an event function.</summary>
    /// <exception cref="CliUserException">No such function, or it is a web function.</exception>
    public static LocalFunction Find(ServiceManifest manifest, string name, string appDirectory, string runtimeDirectory)
    {
        var function = manifest.Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
            ?? throw new CliUserException(manifest.Functions.Count == 0
                ? $"Service {manifest.Service} has no functions; there is no function '{name}' to invoke."
                : $"Service {manifest.Service} has no function '{name}'; its functions are: {string.Join(", ", manifest.Functions.Select(f => f.Name))}.");
        if (function.Kind != FunctionKind.Event)
        {
            throw new CliUserException(
                $"Function {name} is a web function (runtime: {function.Runtime}); invoke local runs event functions only. Start its command yourself: {string.Join(' ', function.Command ?? [])}");
        }

        return new LocalFunction(manifest, function, appDirectory, runtimeDirectory);
    }

    /// <summary>The argv that runs this function's runtime loop: Ferry's loop for Node and Python, the app's <c>bootstrap</c> for provided runtimes.</summary>
    /// <exception cref="CliUserException">A file the command needs is missing.</exception>
    public IReadOnlyList<string> Command()
    {
        var runtime = Function.Runtime;
        if (RuntimeCatalog.IsNode(runtime))
        {
            return ["node", RequireFile(Path.Combine(RuntimeDirectory, "node", "bootstrap.mjs"), "Ferry's Node.js runtime loop")];
        }

        if (RuntimeCatalog.IsPython(runtime))
        {
            var python = File.Exists(SystemPython) ? SystemPython : "python3";
            return [python, "-u", RequireFile(Path.Combine(RuntimeDirectory, "python", "bootstrap.py"), "Ferry's Python runtime loop")];
        }

        if (RuntimeCatalog.IsProvided(runtime))
        {
            var bootstrap = Path.Combine(AppDirectory, "bootstrap");
            RequireFile(bootstrap, $"the bootstrap executable of runtime {runtime}");
            if ((File.GetUnixFileMode(bootstrap) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            {
                throw new CliUserException($"{bootstrap} is not executable; run chmod +x bootstrap.");
            }

            return [bootstrap];
        }

        throw new CliUserException($"Function {Function.Name} has runtime '{runtime}', which is not an event-function runtime ({RuntimeCatalog.Supported}).");
    }

    /// <summary>
    /// Variables set on top of the developer's own environment: what a Lambda runtime sees, then the function's
    /// <c>environment</c> (which may override them), then the Runtime API address and handler, which it may not.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment(string runtimeApiAddress, string requestId)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TZ"] = "UTC",
            ["LAMBDA_TASK_ROOT"] = AppDirectory,
            ["LAMBDA_RUNTIME_DIR"] = RuntimeDirectory,
            ["AWS_REGION"] = Manifest.Provider.Region,
            ["AWS_DEFAULT_REGION"] = Manifest.Provider.Region,
            ["AWS_LAMBDA_FUNCTION_NAME"] = QualifiedName,
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = Function.MemorySize.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + QualifiedName,
            ["AWS_LAMBDA_LOG_STREAM_NAME"] = "local/" + requestId,
            ["FERRY_SERVICE"] = Manifest.Service,
            ["FERRY_STAGE"] = Manifest.Provider.Stage,
            ["FERRY_FUNCTION"] = Function.Name,
        };
        foreach (var (name, value) in Function.Environment)
        {
            variables[name] = value;
        }

        variables["AWS_LAMBDA_RUNTIME_API"] = runtimeApiAddress;
        variables["_HANDLER"] = Function.Handler ?? "";
        return variables;
    }

    private static string RequireFile(string path, string what)
        => File.Exists(path) ? path : throw new CliUserException($"Cannot run the function: {what} is missing at {path}.");
}
