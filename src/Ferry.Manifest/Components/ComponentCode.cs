using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// A component's <c>inputs.src</c>: the folder (inside the app folder) its code is in, written as <c>src: ./code</c>
/// or <c>src: { src: ./code, exclude: [...] }</c>. Handlers are relative to that folder, so they are given the folder
/// as a prefix; the package holds only that folder, minus the excluded patterns.
/// </summary>
internal sealed class ComponentCode
{
    private readonly ComponentTranslator translator;

    public ComponentCode(ComponentTranslator translator, YamlMappingNode inputs)
    {
        this.translator = translator;
        switch (ComponentTranslator.Child(inputs, "src"))
        {
            case null:
                break;
            case YamlScalarNode folder:
                Folder = FolderOf(folder, "inputs.src") ?? "";
                break;
            case YamlMappingNode mapping:
                Read(mapping);
                break;
            case var other:
                translator.Error(other, "inputs.src must be the code's folder ('./') or a mapping with 'src' and 'exclude'");
                break;
        }

        if (Folder.Length > 0)
        {
            Patterns.Insert(0, new YamlScalarNode("!**"));
            Patterns.Insert(1, new YamlScalarNode(Folder + "/**"));
        }
    }

    /// <summary>The code's folder relative to the app folder, '/'-separated, without <c>./</c>; empty for the app folder itself.</summary>
    public string Folder { get; private set; } = "";

    /// <summary><c>package.patterns</c> equivalent to the folder and its excludes, in order.</summary>
    public List<YamlNode> Patterns { get; } = [];

    /// <summary><paramref name="relative"/> (a handler or a path in the code folder) as a path in the app folder.</summary>
    public string InApp(string relative)
    {
        while (relative.StartsWith("./", StringComparison.Ordinal))
        {
            relative = relative[2..];
        }

        return Folder.Length == 0 ? relative : $"{Folder}/{relative.TrimStart('/')}";
    }

    private void Read(YamlMappingNode mapping)
    {
        foreach (var (keyNode, value) in mapping.Children)
        {
            switch (ComponentTranslator.Text(keyNode))
            {
                case "src":
                    Folder = value is YamlScalarNode folder ? FolderOf(folder, "inputs.src.src") ?? "" : "";
                    break;
                case "exclude":
                    if (value is YamlSequenceNode excludes)
                    {
                        foreach (var pattern in excludes.Children.OfType<YamlScalarNode>().Where(p => !string.IsNullOrEmpty(p.Value)))
                        {
                            // Moved in place (not copied) so a bad pattern is reported at its own line.
                            pattern.Value = "!" + InApp(pattern.Value!.TrimStart('!'));
                            Patterns.Add(pattern);
                        }
                    }
                    else
                    {
                        translator.Error(value, "inputs.src.exclude must be a list of glob patterns");
                    }

                    break;
                case "include":
                    if (value is YamlSequenceNode includes)
                    {
                        foreach (var pattern in includes.Children.OfType<YamlScalarNode>().Where(p => !string.IsNullOrEmpty(p.Value)))
                        {
                            pattern.Value = InApp(pattern.Value!);
                            Patterns.Add(pattern);
                        }
                    }

                    break;
                case "hook":
                    Hook = value as YamlScalarNode;
                    break;
                case "dist":
                    Dist = value is YamlScalarNode dist ? FolderOf(dist, "inputs.src.dist") : null;
                    break;
                case "bucket" or "object" or "key":
                    translator.Error(keyNode, $"inputs.src.{ComponentTranslator.Text(keyNode)}: code stored in a cloud bucket can't be deployed; put the code in the app folder and set inputs.src to it");
                    break;
                case var other:
                    translator.Warning(keyNode, $"inputs.src.{other} is not a key Ferry reads (src, exclude, include, hook, dist); it is ignored");
                    break;
            }
        }
    }

    /// <summary><c>inputs.src.hook</c>: the build command the component runs before packaging (e.g. <c>npm run build</c>).</summary>
    public YamlScalarNode? Hook { get; private set; }

    /// <summary><c>inputs.src.dist</c>: the build's output folder, relative to the app folder.</summary>
    public string? Dist { get; private set; }

    private string? FolderOf(YamlScalarNode node, string path)
    {
        var text = (node.Value ?? "").Replace('\\', '/').Trim();
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (text.StartsWith('/') || parts.Contains("..") || text.Contains("${", StringComparison.Ordinal))
        {
            translator.Error(node, $"{path} must be a folder inside the app folder, such as './' or './src', got '{text}'");
            return null;
        }

        return string.Join('/', parts);
    }
}
