using System.Text.Json;

namespace Ferry.Runtime.Images;

/// <summary>
/// The parts of an OCI image config (<c>config</c> of application/vnd.oci.image.config.v1+json) that decide how the
/// image runs: <c>Entrypoint</c> + <c>Cmd</c> is its argv, <c>Env</c> ("NAME=value") its environment, <c>WorkingDir</c>
/// where it starts.
/// </summary>
public sealed record ImageConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? WorkingDir { get; init; }

    /// <summary>GOARCH-style architecture ("amd64", "arm64").</summary>
    public string Architecture { get; init; } = "";

    public string Os { get; init; } = "";

    /// <summary>Env as name/value pairs, in order; entries without '=' or with an empty name are skipped (runtimes ignore them too).</summary>
    public IEnumerable<KeyValuePair<string, string>> EnvironmentVariables()
    {
        foreach (var entry in Env)
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                yield return new KeyValuePair<string, string>(entry[..equals], entry[(equals + 1)..]);
            }
        }
    }

    /// <exception cref="ImageException">The JSON is not an image config.</exception>
    public static ImageConfig Parse(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ImageException($"{what} is not a JSON object");
            }

            var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            return new ImageConfig
            {
                Architecture = OptionalString(root, "architecture", what) ?? "",
                Os = OptionalString(root, "os", what) ?? "",
                Entrypoint = config.ValueKind == JsonValueKind.Object ? Strings(config, "Entrypoint", what) : [],
                Cmd = config.ValueKind == JsonValueKind.Object ? Strings(config, "Cmd", what) : [],
                Env = config.ValueKind == JsonValueKind.Object ? Strings(config, "Env", what) : [],
                WorkingDir = config.ValueKind == JsonValueKind.Object ? OptionalString(config, "WorkingDir", what) is { Length: > 0 } dir ? dir : null : null,
            };
        }
        catch (JsonException ex)
        {
            throw new ImageException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string? OptionalString(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String && !value.GetString()!.Contains('\0')
            ? value.GetString()
            : throw new ImageException($"{what}: '{name}' must be a string");
    }

    private static List<string> Strings(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String || item.GetString()!.Contains('\0')))
        {
            throw new ImageException($"{what}: '{name}' must be a list of strings without NUL characters");
        }

        return [.. value.EnumerateArray().Select(item => item.GetString()!)];
    }
}
