using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>cors</c>: <c>true</c> (the Serverless Framework's defaults), <c>false</c>, or a mapping. <c>http</c> events
/// spell the mapping <c>origin(s)</c>, <c>headers</c>, <c>methods</c>, <c>allowCredentials</c>, <c>maxAge</c>,
/// <c>cacheControl</c>; <c>provider.httpApi.cors</c> spells it <c>allowedOrigins</c>, <c>allowedHeaders</c>,
/// <c>allowedMethods</c>, <c>allowCredentials</c>, <c>exposedResponseHeaders</c>, <c>maxAge</c>.
/// </summary>
internal sealed class CorsReader(ValueReader reader)
{
    /// <summary>How an <c>http</c> event's <c>cors</c> mapping names each setting.</summary>
    private static readonly IReadOnlyList<(string Key, CorsField Field)> RestApiKeys =
    [
        ("origin", CorsField.Origins), ("origins", CorsField.Origins), ("headers", CorsField.Headers), ("methods", CorsField.Methods),
        ("allowCredentials", CorsField.Credentials), ("maxAge", CorsField.MaxAge), ("cacheControl", CorsField.CacheControl),
    ];

    /// <summary>How <c>provider.httpApi.cors</c> names each setting.</summary>
    private static readonly IReadOnlyList<(string Key, CorsField Field)> HttpApiKeys =
    [
        ("allowedOrigins", CorsField.Origins), ("allowedHeaders", CorsField.Headers), ("allowedMethods", CorsField.Methods),
        ("allowCredentials", CorsField.Credentials), ("exposedResponseHeaders", CorsField.ExposedHeaders), ("maxAge", CorsField.MaxAge),
    ];

    private enum CorsField
    {
        Origins,
        Headers,
        Methods,
        Credentials,
        ExposedHeaders,
        MaxAge,
        CacheControl,
    }

    /// <summary>The settings of an <c>http</c> event's <c>cors</c>; null when off or invalid.</summary>
    public CorsSettings? ReadRestApi(ValueNode value, string path) => Read(value, path, RestApiKeys, "http cors")?.Settings;

    /// <summary>The settings of <c>provider.httpApi.cors</c>; null when off or invalid.</summary>
    public CorsSettings? ReadHttpApi(ValueNode value, string path)
    {
        if (Read(value, path, HttpApiKeys, "httpApi cors") is not { } read)
        {
            return null;
        }

        var (settings, mapping) = read;
        if (mapping is null)
        {
            return settings;
        }

        if (settings.AllowCredentials && settings.AllowedOrigins.Contains("*"))
        {
            reader.Error(mapping.Location,
                $"{path}: allowCredentials: true cannot be used with the origin '*' (browsers refuse it); list the allowed origins in allowedOrigins");
        }

        return settings;
    }

    /// <summary>
    /// <c>true</c>/<c>false</c>, or a mapping whose keys <paramref name="keys"/> names; the mapping is null for the
    /// flag form. Null when off or invalid.
    /// </summary>
    private (CorsSettings Settings, MappingValue? Mapping)? Read(ValueNode value, string path, IReadOnlyList<(string Key, CorsField Field)> keys, string what)
    {
        if (ReadFlag(value, path) is { } enabled)
        {
            return enabled ? (new CorsSettings(), null) : null;
        }

        if (value is not MappingValue mapping)
        {
            return null;
        }

        var settings = new CorsSettings();
        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            var known = keys.Where(k => k.Key == entry.Key).Select(k => (CorsField?)k.Field).FirstOrDefault();
            settings = known switch
            {
                CorsField.Origins => settings with { AllowedOrigins = Names(entry.Value, entryPath) },
                CorsField.Headers => settings with { AllowedHeaders = Names(entry.Value, entryPath) },
                CorsField.Methods => settings with { AllowedMethods = Methods(entry.Value, entryPath) },
                CorsField.Credentials => settings with { AllowCredentials = Boolean(entry.Value, entryPath) },
                CorsField.ExposedHeaders => settings with { ExposedHeaders = Names(entry.Value, entryPath) },
                CorsField.MaxAge => settings with { MaxAge = MaxAge(entry.Value, entryPath) },
                CorsField.CacheControl => settings with { CacheControl = reader.String(entry.Value, entryPath) },
                _ => settings,
            };
            if (known is null)
            {
                var names = keys.Select(k => k.Key).ToList();
                reader.Warning(entry.KeyLocation,
                    $"unknown key '{entryPath}' is ignored; {what} knows {string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}");
            }
        }

        return (settings, mapping);
    }

    /// <summary>true/false for a boolean scalar; null for a mapping (or after an error).</summary>
    private bool? ReadFlag(ValueNode value, string path)
    {
        switch (value)
        {
            case ScalarValue { IsNull: true }:
                return false;
            case ScalarValue { Text: "true" or "false" } flag:
                return flag.Text == "true";
            case MappingValue or FailedValue:
                return null;
            default:
                reader.Error(value.Location, $"{path} must be true, false or a mapping of CORS settings, got {value.Describe()}");
                return false;
        }
    }

    /// <summary>A string or a list of strings.</summary>
    private List<string> Names(ValueNode value, string path) => value switch
    {
        ScalarValue { IsNull: false } scalar => [scalar.Text],
        _ => reader.Strings(value, path),
    };

    private List<string> Methods(ValueNode value, string path)
    {
        var methods = new List<string>();
        foreach (var method in Names(value, path))
        {
            if (RouteSyntax.TryNormalizeMethod(method, out var normalized))
            {
                methods.Add(normalized);
            }
            else
            {
                reader.Error(value.Location, $"{path}: {NamingRules.Quote(method)} is not an HTTP method; use one of {RouteSyntax.MethodRule}");
            }
        }

        return methods;
    }

    private bool Boolean(ValueNode value, string path)
    {
        if (value is ScalarValue { Text: "true" or "false" } flag)
        {
            return flag.Text == "true";
        }

        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be true or false, got {value.Describe()}");
        }

        return false;
    }

    private int? MaxAge(ValueNode value, string path) =>
        reader.Integer(value, path, "a number of seconds from 0 to 86400", n => n is >= 0 and <= 86400);
}
