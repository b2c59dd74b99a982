using System.Text.Json;

namespace Ferry.Manifest;

/// <summary>
/// The JSON form of a <see cref="ServiceManifest"/> that the CLI sends and the server stores: camelCase properties,
/// environment and parameter keys kept as written, and strict about missing required members and nulls.
/// </summary>
public static class ServiceManifestJson
{
    /// <summary>Read-only serializer options; use them for any JSON that embeds a manifest.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string Serialize(ServiceManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return JsonSerializer.Serialize(manifest, Options);
    }

    /// <exception cref="ManifestException">The JSON is malformed, has members of the wrong type, or lacks required ones.</exception>
    public static ServiceManifest Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<ServiceManifest>(json, Options) ?? throw Invalid("the manifest JSON is null; expected an object");
        }
        catch (JsonException exception)
        {
            var where = exception.Path is { Length: > 0 } path ? $" at {path}" : "";
            throw Invalid($"the manifest JSON is invalid{where}: {exception.Message}");
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            WriteIndented = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private static ManifestException Invalid(string message) => new([new ManifestDiagnostic(null, message)]);
}
