using Ferry.Manifest.Rules;

namespace Ferry.Manifest;

/// <summary>Which files in a code package a function's handler may live in, per runtime.</summary>
public static class HandlerFiles
{
    private static readonly string[] NodeExtensions = [".js", ".mjs", ".cjs"];

    /// <summary>Sources esbuild can build a Node handler from, TypeScript first (as serverless-esbuild looks).</summary>
    private static readonly string[] BuildSourceExtensions = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"];

    /// <summary>
    /// For a Node handler: the package-relative module path without extension (<c>src/app.hello</c> gives
    /// <c>src/app</c>) and the files it may be built from, TypeScript first; null for other runtimes or invalid handlers.
    /// </summary>
    public static (string Module, IReadOnlyList<string> Sources)? BuildSources(string runtime, string? handler)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (!RuntimeCatalog.IsNode(runtime) || handler is null || !HandlerSyntax.IsValid(handler))
        {
            return null;
        }

        var module = NodeModule(handler);
        return (module, [.. BuildSourceExtensions.Select(extension => module + extension)]);
    }

    /// <summary>Node's runtime takes the module up to the first dot of the file name; the rest is the export path.</summary>
    private static string NodeModule(string handler) => handler[..handler.IndexOf('.', handler.LastIndexOf('/') + 1)];

    /// <summary>
    /// The files one of which <paramref name="function"/> needs to start: none for an image function (its image
    /// archive is checked on its own), else <see cref="Candidates(string, string?)"/>.
    /// </summary>
    public static IReadOnlyList<string> For(FunctionManifest function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Image is not null ? [] : Candidates(function.Runtime, function.Handler);
    }

    /// <summary>
    /// Package-relative paths that may hold the handler, in the order the runtime looks for them:
    /// <c>src/app.hello</c> gives <c>src/app.js</c>, <c>src/app.mjs</c>, <c>src/app.cjs</c> for Node and
    /// <c>src/app.py</c> for Python; <c>provided*</c> runtimes start <c>bootstrap</c>; web functions and
    /// invalid handlers have no candidates.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string runtime, string? handler)
    {
        ArgumentNullException.ThrowIfNull(runtime);

        if (RuntimeCatalog.IsProvided(runtime))
        {
            return ["bootstrap"];
        }

        if (handler is null || !HandlerSyntax.IsValid(handler))
        {
            return [];
        }

        if (RuntimeCatalog.IsNode(runtime))
        {
            var module = NodeModule(handler);
            return [.. NodeExtensions.Select(extension => module + extension)];
        }

        if (RuntimeCatalog.IsPython(runtime))
        {
            // Python's runtime takes the module up to the last dot; dots inside it are package separators.
            var module = handler[..handler.LastIndexOf('.')];
            var fileStart = module.LastIndexOf('/') + 1;
            return [module[..fileStart] + module[fileStart..].Replace('.', '/') + ".py"];
        }

        return [];
    }
}
