using Ferry.Manifest.Rules;

namespace Ferry.Manifest;

/// <summary>Which files in a code package a function's handler may live in, per runtime.</summary>
public static class HandlerFiles
{
    private static readonly string[] NodeExtensions = [".js", ".mjs", ".cjs"];

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
            // Node's runtime takes the module up to the first dot of the file name; the rest is the export path.
            var fileStart = handler.LastIndexOf('/') + 1;
            var module = handler[..handler.IndexOf('.', fileStart)];
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
