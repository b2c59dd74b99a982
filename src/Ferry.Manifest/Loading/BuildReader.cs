using System.Text.RegularExpressions;
using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>plugins</c> and <c>custom.esbuild</c>. Plugins that build TypeScript are Ferry's own esbuild step; any
/// other plugin is reported once as not run, and each <c>custom.esbuild</c> option Ferry does not honour is named.
/// </summary>
internal sealed partial class BuildReader(ValueReader reader)
{
    private const int MaxPlugins = 100;

    /// <summary>An esbuild target or module name: letters, digits and the punctuation npm names and targets use.</summary>
    [GeneratedRegex(@"^(?!-)[A-Za-z0-9@/._\-*]{1,214}$")]
    private static partial Regex ModuleOrTargetPattern();

    public IReadOnlyList<string> ReadPlugins(MappingEntry entry)
    {
        var value = entry.Value;
        if (value is MappingValue mapping)
        {
            // Serverless also accepts `plugins: { localPath: …, modules: [...] }`.
            value = mapping.Entries.FirstOrDefault(e => e.Key == "modules")?.Value ?? new SequenceValue([], mapping.Location);
        }

        var plugins = reader.Strings(value, "plugins");
        if (plugins.Count > MaxPlugins)
        {
            reader.Error(value.Location, $"plugins has {plugins.Count} entries; at most {MaxPlugins} are allowed");
            return [];
        }

        var notRun = plugins.Where(plugin => !BuildSettings.BundlingPlugins.Contains(plugin)).ToList();
        if (notRun.Count > 0)
        {
            reader.Warning(entry.KeyLocation,
                $"plugins {string.Join(", ", notRun)} {(notRun.Count == 1 ? "is" : "are")} not run by Ferry; ignored " +
                $"(Ferry builds TypeScript itself for {string.Join(" and ", BuildSettings.BundlingPlugins)})");
        }

        return plugins;
    }

    public EsbuildOptions ReadEsbuild(ValueNode value)
    {
        var options = new EsbuildOptions { Location = value.Location };
        foreach (var field in reader.Entries(value, "custom.esbuild"))
        {
            var path = $"custom.esbuild.{field.Key}";
            switch (field.Key)
            {
                case "bundle":
                    options = options with { Bundle = Boolean(field.Value, path) };
                    break;
                case "minify":
                    options = options with { Minify = Boolean(field.Value, path) };
                    break;
                case "keepNames":
                    options = options with { KeepNames = Boolean(field.Value, path) };
                    break;
                case "sourcemap":
                    options = options with { Sourcemap = Sourcemap(field.Value, path) };
                    break;
                case "target":
                    options = options with { Target = Names(field.Value, path, single: true)?.FirstOrDefault() };
                    break;
                case "external":
                    options = options with { External = Names(field.Value, path, single: false) ?? [] };
                    break;
                case "exclude":
                    options = options with { Exclude = Names(field.Value, path, single: false) };
                    break;
                default:
                    reader.Warning(field.KeyLocation,
                        $"'{path}' is not used by Ferry's esbuild step; ignored (Ferry honours {string.Join(", ", EsbuildOptions.Honoured)})");
                    break;
            }
        }

        return options;
    }

    private bool? Boolean(ValueNode node, string path)
    {
        var text = reader.String(node, path);
        switch (text)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                reader.Error(node.Location, $"{path} must be true or false, got {NamingRules.Quote(text)}");
                return null;
        }
    }

    private string? Sourcemap(ValueNode node, string path)
    {
        var text = reader.String(node, path);
        if (text is null or "true" or "false" or "inline" or "external" or "linked" or "both")
        {
            return text;
        }

        reader.Error(node.Location, $"{path} must be true, false, inline, external, linked or both, got {NamingRules.Quote(text)}");
        return null;
    }

    private List<string>? Names(ValueNode node, string path, bool single)
    {
        var names = node is ScalarValue { IsNull: false } scalar && single ? [scalar.Text] : reader.Strings(node, path);
        if (names.Count > EsbuildOptions.MaxModules)
        {
            reader.Error(node.Location, $"{path} has {names.Count} entries; at most {EsbuildOptions.MaxModules} are allowed");
            return null;
        }

        var invalid = names.FirstOrDefault(name => !ModuleOrTargetPattern().IsMatch(name));
        if (invalid is not null)
        {
            reader.Error(node.Location, $"{path} has {NamingRules.Quote(invalid)}, which is not a module name or esbuild target");
            return null;
        }

        return names;
    }
}
