using Ferry.Manifest;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>
/// Reads <c>template.closedSource</c> (a list of function names) and works out which package files hold each
/// function's compiled code. A closed-source function must be one of:
/// <list type="bullet">
/// <item><c>image: path/to/image.tar</c> (or <c>image: { path: … }</c>) — an OCI image archive in the package;</item>
/// <item><c>runtime: provided</c> (or <c>provided.al2</c>, <c>provided.al2023</c>) — the compiled <c>bootstrap</c>;</item>
/// <item>a web function whose <c>command</c> starts a program in the package, written as a relative path such as
/// <c>./bin/server</c>.</item>
/// </list>
/// Functions interpreted from source (Node, Python) can't be closed-source. Runtimes, images and commands of
/// closed-source functions must be written literally (no variables), so the files can be known when publishing.
/// </summary>
internal sealed class ClosedSourceResolver(string fileName, DiagnosticList diagnostics)
{
    private const string Rule =
        "closed-source functions ship compiled code: 'runtime: provided' with a bootstrap binary, 'image:' with an OCI image " +
        "archive, or a web function whose command starts a program in the package (for example './bin/server')";

    public List<ClosedSourceFunction> Resolve(YamlMappingNode root)
    {
        var result = new List<ClosedSourceFunction>();
        if ((root.Child("template") as YamlMappingNode)?.Child("closedSource") is not { } node
            || node is YamlScalarNode scalarNode && scalarNode.IsNull())
        {
            return result;
        }

        if (node is not YamlSequenceNode list)
        {
            diagnostics.Error(At(node), $"template.closedSource must be a list of function names, got {node.Describe()}");
            return result;
        }

        var functions = root.Child("functions") as YamlMappingNode;
        var providerRuntime = (root.Child("provider") as YamlMappingNode)?.Child("runtime");
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } name } || ((YamlScalarNode)item).IsNull())
            {
                diagnostics.Error(At(item), $"template.closedSource items must be function names, got {item.Describe()}");
                continue;
            }

            if (result.Any(function => function.Function == name))
            {
                diagnostics.Error(At(item), $"template.closedSource lists '{name}' twice");
                continue;
            }

            if (functions?.Child(name) is not YamlMappingNode function)
            {
                diagnostics.Error(At(item), $"template.closedSource lists '{name}', which is not a function declared under 'functions'");
                continue;
            }

            if (FilesOf(name, function, providerRuntime, item) is { } files)
            {
                result.Add(new ClosedSourceFunction(name, files));
            }
        }

        return result;
    }

    private SourceLocation At(YamlNode node) => node.LocationOf(fileName);

    private IReadOnlyList<string>? FilesOf(string name, YamlMappingNode function, YamlNode? providerRuntime, YamlNode listed)
    {
        if (function.Child("image") is { } image)
        {
            // `image: path` or the object form `image: { path: …, command: … }`.
            var (pathNode, path) = image is YamlMappingNode imageObject && imageObject.Child("path") is { } objectPath
                ? (objectPath, $"functions.{name}.image.path")
                : (image, $"functions.{name}.image");
            return Literal(pathNode, path) is { } imagePath ? PackagePath(imagePath, pathNode, path) : null;
        }

        var runtimeNode = function.Child("runtime") ?? (function.Child("command") is null ? providerRuntime : null);
        var runtime = runtimeNode is null ? null : Literal(runtimeNode, "the runtime of a closed-source function");
        if (runtimeNode is not null && runtime is null)
        {
            return null;
        }

        if (runtime is not null && RuntimeCatalog.IsProvided(runtime))
        {
            return HandlerFiles.Candidates(runtime, handler: null);
        }

        if ((runtime is null || runtime == RuntimeCatalog.Web) && function.Child("command") is { } command)
        {
            return ProgramOf(name, command);
        }

        diagnostics.Error(At(listed), $"function '{name}' runs source code (runtime {runtime ?? "not set"}) and can't be closed-source; {Rule}");
        return null;
    }

    private string[]? ProgramOf(string name, YamlNode command)
    {
        var path = $"functions.{name}.command";
        if (!IsLiteral(command))
        {
            diagnostics.Error(At(command), $"{path} must be written literally (without variables) for a closed-source function");
            return null;
        }

        var program = command switch
        {
            YamlScalarNode { Value: { } text } => text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(),
            YamlSequenceNode { Children: [YamlScalarNode { Value: var first }, ..] } => first,
            _ => null,
        };
        if (program is null)
        {
            diagnostics.Error(At(command), $"{path} of closed-source function '{name}' must start a program in the package; {Rule}");
            return null;
        }

        if (!program.Contains('/'))
        {
            diagnostics.Error(At(command),
                $"{path} starts '{program}', which is not a file of the package; write the compiled program as a relative path such as './{program}' ({Rule})");
            return null;
        }

        return PackagePath(program, command, path);
    }

    private string[]? PackagePath(string path, YamlNode node, string what)
    {
        if (AppPaths.Normalize(path) is { } normalized)
        {
            return [normalized];
        }

        diagnostics.Error(At(node), $"{what} '{path}' must be a relative path inside the app folder, without '..'");
        return null;
    }

    /// <summary>The scalar's text when it is written without variables; an error otherwise.</summary>
    private string? Literal(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { } text } scalar && !scalar.IsNull() && IsLiteral(scalar))
        {
            return text;
        }

        diagnostics.Error(At(node), $"{what} must be written literally (without variables) for a closed-source function, got {node.Describe()}");
        return null;
    }

    private static bool IsLiteral(YamlNode node) => node switch
    {
        YamlScalarNode { Value: var text } => text is null || !text.Contains("${", StringComparison.Ordinal),
        YamlSequenceNode sequence => sequence.Children.All(IsLiteral),
        _ => false,
    };
}
