using System.Text.Json;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// The <c>autoload</c> section of an app's composer.json (not <c>autoload-dev</c>: Ferry deploys like
/// <c>composer install --no-dev</c>): PSR-4 and PSR-0 prefixes, classmap folders and files always loaded.
/// Paths are app-relative; one that is absolute or climbs out of the app with <c>..</c> is an error naming it.
/// </summary>
public sealed record ComposerAutoload(
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Psr4,
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Psr0,
    IReadOnlyList<string> Classmap,
    IReadOnlyList<string> Files)
{
    public static ComposerAutoload Empty { get; } = new([], [], [], []);

    /// <exception cref="FrameworkException">The section is malformed, a path leaves the app, or a listed file is missing.</exception>
    public static ComposerAutoload Read(ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (project.ComposerJson is not { } json || !json.TryGetProperty("autoload", out var autoload))
        {
            return Empty;
        }

        if (autoload.ValueKind != JsonValueKind.Object)
        {
            throw Error("autoload", "must be an object");
        }

        var files = Paths(autoload, "files");
        foreach (var file in files)
        {
            if (!project.HasFile(file))
            {
                throw Error("autoload.files", $"lists {file}, which does not exist in {project.Directory}");
            }
        }

        return new ComposerAutoload(Prefixes(autoload, "psr-4"), Prefixes(autoload, "psr-0"), Paths(autoload, "classmap"), files);
    }

    private static List<KeyValuePair<string, IReadOnlyList<string>>> Prefixes(JsonElement autoload, string section)
    {
        var prefixes = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (!autoload.TryGetProperty(section, out var entries))
        {
            return prefixes;
        }

        if (entries.ValueKind != JsonValueKind.Object)
        {
            throw Error($"autoload.{section}", "must be an object of namespace prefixes and folders");
        }

        foreach (var entry in entries.EnumerateObject())
        {
            var where = $"autoload.{section}.\"{entry.Name}\"";
            if (section == "psr-4" && entry.Name.Length > 0 && !entry.Name.EndsWith('\\'))
            {
                throw Error(where, "a PSR-4 prefix must end with a namespace separator (\\\\)");
            }

            IReadOnlyList<string> folders = entry.Value.ValueKind switch
            {
                JsonValueKind.String => [CheckPath(entry.Value.GetString()!, where)],
                JsonValueKind.Array => [.. entry.Value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String
                    ? CheckPath(item.GetString()!, where)
                    : throw Error(where, "must list folder paths"))],
                _ => throw Error(where, "must be a folder path or a list of them"),
            };
            prefixes.Add(new(entry.Name, folders));
        }

        return prefixes;
    }

    private static List<string> Paths(JsonElement autoload, string section)
    {
        if (!autoload.TryGetProperty(section, out var entries))
        {
            return [];
        }

        var where = $"autoload.{section}";
        return entries.ValueKind == JsonValueKind.Array
            ? [.. entries.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? CheckPath(item.GetString()!, where) : throw Error(where, "must list paths"))]
            : throw Error(where, "must be a list of paths");
    }

    /// <summary>The path without <c>./</c> and trailing slashes; "" is the app folder itself.</summary>
    private static string CheckPath(string path, string where)
    {
        if (path.Length > 1024 || path.Contains('\0') || path.Contains('\\'))
        {
            throw Error(where, $"'{path}' is not a usable path");
        }

        if (path.StartsWith('/') || path.Split('/').Contains(".."))
        {
            throw Error(where, $"'{path}' points outside the app folder");
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => segment != ".");
        return string.Join('/', segments);
    }

    private static FrameworkException Error(string where, string problem) => new($"composer.json: {where} {problem}");
}
