using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// What the framework presets read from an app folder: <c>package.json</c>, <c>requirements.txt</c>,
/// <c>composer.json</c> and small source files. Every file is read at most <see cref="MaxFileBytes"/>; a file that
/// is larger or malformed is an error naming it.
/// </summary>
public sealed partial class ProjectFiles
{
    /// <summary>Manifests and entry files are small; a larger one is not something to parse on every deploy.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>The app folder's folder of Ferry's own state (build cache, support files, generated keys): never packaged.</summary>
    public const string FerryFolder = ".ferry";

    private JsonElement? _packageJson;
    private bool _packageJsonRead;
    private IReadOnlySet<string>? _requirements;
    private JsonElement? _composerJson;
    private bool _composerJsonRead;

    public ProjectFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public bool HasFile(string relativePath) => File.Exists(FullPath(relativePath));

    public bool HasDirectory(string relativePath) => System.IO.Directory.Exists(FullPath(relativePath));

    public string FullPath(string relativePath) => Path.Combine(Directory, relativePath);

    /// <summary>The file's text, or null if it does not exist.</summary>
    /// <exception cref="FrameworkException">The file is larger than <see cref="MaxFileBytes"/> or can't be read.</exception>
    public string? ReadText(string relativePath)
    {
        var path = FullPath(relativePath);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                throw new FrameworkException($"{relativePath} is {info.Length:N0} bytes; Ferry reads at most {MaxFileBytes:N0} bytes of it to detect the framework");
            }

            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FrameworkException($"cannot read {relativePath}: {ex.Message}");
        }
    }

    /// <summary><c>package.json</c>, parsed; null when there is none.</summary>
    public JsonElement? PackageJson
    {
        get
        {
            if (!_packageJsonRead)
            {
                _packageJson = ReadJson("package.json");
                _packageJsonRead = true;
            }

            return _packageJson;
        }
    }

    /// <summary><c>composer.json</c>, parsed; null when there is none.</summary>
    public JsonElement? ComposerJson
    {
        get
        {
            if (!_composerJsonRead)
            {
                _composerJson = ReadJson("composer.json");
                _composerJsonRead = true;
            }

            return _composerJson;
        }
    }

    /// <summary>Whether package.json lists <paramref name="name"/> in <c>dependencies</c> or <c>devDependencies</c>.</summary>
    public bool HasNodeDependency(string name) =>
        PackageJson is { } json && (HasProperty(json, "dependencies", name) || HasProperty(json, "devDependencies", name));

    /// <summary>package.json's <c>scripts.NAME</c>, or null.</summary>
    public string? NodeScript(string name) =>
        PackageJson is { ValueKind: JsonValueKind.Object } json
        && json.TryGetProperty("scripts", out var scripts) && scripts.ValueKind == JsonValueKind.Object
        && scripts.TryGetProperty(name, out var script) && script.ValueKind == JsonValueKind.String
            ? script.GetString()
            : null;

    /// <summary>package.json's <c>main</c>, or null.</summary>
    public string? NodeMain =>
        PackageJson is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("main", out var main) && main.ValueKind == JsonValueKind.String
            ? main.GetString()
            : null;

    /// <summary>Whether composer.json's <c>require</c> lists <paramref name="name"/>.</summary>
    public bool HasComposerPackage(string name) => ComposerJson is { } json && HasProperty(json, "require", name);

    /// <summary>Whether requirements.txt names the Python distribution <paramref name="name"/> (case-insensitive).</summary>
    public bool HasPythonRequirement(string name)
    {
        _requirements ??= ParseRequirements(ReadText("requirements.txt"));
        return _requirements.Contains(name);
    }

    private static HashSet<string> ParseRequirements(string? text)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (text is null)
        {
            return names;
        }

        foreach (var line in text.Split('\n'))
        {
            var match = RequirementName().Match(line);
            if (match.Success)
            {
                names.Add(match.Groups[1].Value.Replace('_', '-'));
            }
        }

        return names;
    }

    private JsonElement? ReadJson(string relativePath)
    {
        var text = ReadText(relativePath);
        if (text is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FrameworkException($"{relativePath} must hold a JSON object");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new FrameworkException($"{relativePath} is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}");
        }
    }

    private static bool HasProperty(JsonElement json, string section, string name) =>
        json.TryGetProperty(section, out var entries) && entries.ValueKind == JsonValueKind.Object && entries.TryGetProperty(name, out _);

    [GeneratedRegex(@"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[=<>!~;@#]|$)")]
    private static partial Regex RequirementName();
}
