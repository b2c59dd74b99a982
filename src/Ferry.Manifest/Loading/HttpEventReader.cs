using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads a function's <c>events</c>: <c>httpApi</c> events (HTTP API, payload 2.0) and <c>http</c> events
/// (REST API, payload 1.0) become routes; other event types are reported as not supported yet.
/// </summary>
internal sealed class HttpEventReader(ValueReader reader)
{
    private const string HttpApi = "httpApi";
    private const string Http = "http";

    public List<(HttpRoute Route, SourceLocation Location)> ReadRoutes(ValueNode events, string path)
    {
        var routes = new List<(HttpRoute, SourceLocation)>();
        var items = reader.Items(events, path);
        for (var i = 0; i < items.Count; i++)
        {
            var eventPath = $"{path}[{i}]";
            var entries = reader.Entries(items[i], eventPath, "a mapping with one event type such as 'httpApi'");
            if (entries.Count == 0)
            {
                continue;
            }

            if (entries.Count > 1)
            {
                var keys = string.Join(", ", entries.Select(entry => entry.Key));
                reader.Error(entries[0].KeyLocation,
                    $"{eventPath} has several keys ({keys}); an event has one type, with its settings indented under it");
                continue;
            }

            var (type, typeLocation, value) = entries[0];
            var route = type switch
            {
                HttpApi => ReadRoute(value, $"{eventPath}.{HttpApi}", HttpRoute.PayloadV2),
                Http => ReadRoute(value, $"{eventPath}.{Http}", HttpRoute.PayloadV1),
                _ => Unsupported(type, typeLocation),
            };
            if (route is not null)
            {
                routes.Add((route, typeLocation));
            }
        }

        return routes;
    }

    private HttpRoute? Unsupported(string type, SourceLocation location)
    {
        reader.Warning(location, $"event type '{type}' is not supported yet; ignored");
        return null;
    }

    private HttpRoute? ReadRoute(ValueNode value, string path, string payloadFormat)
    {
        switch (value)
        {
            case ScalarValue { IsNull: false } scalar:
                return ReadShortForm(scalar, path, payloadFormat);
            case MappingValue mapping:
                return ReadLongForm(mapping, path, payloadFormat);
            case FailedValue:
                return null;
            default:
                reader.Error(value.Location, $"{path} must be 'METHOD /path', '*' or a mapping with 'method' and 'path', got {value.Describe()}");
                return null;
        }
    }

    private HttpRoute? ReadShortForm(ScalarValue scalar, string path, string payloadFormat)
    {
        var text = scalar.Text.Trim();
        if (text == RouteSyntax.AnyPath && payloadFormat == HttpRoute.PayloadV2)
        {
            return new HttpRoute(RouteSyntax.AnyMethod, RouteSyntax.AnyPath, payloadFormat);
        }

        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 2)
        {
            reader.Error(scalar.Location, $"{path} must be 'METHOD /path' (for example 'GET /users/{{id}}') or '*', got {scalar.Describe()}");
            return null;
        }

        return Build(words[0], scalar.Location, words[1], scalar.Location, path, payloadFormat);
    }

    private HttpRoute? ReadLongForm(MappingValue mapping, string path, string payloadFormat)
    {
        ScalarValue? method = null;
        ScalarValue? routePath = null;
        foreach (var entry in mapping.Entries)
        {
            switch (entry.Key)
            {
                case "method":
                    method = RequireScalar(entry, path);
                    break;
                case "path":
                    routePath = RequireScalar(entry, path);
                    break;
                default:
                    reader.IgnoredKey(entry, $"{path}.{entry.Key}", KnownKeys.HttpEvent);
                    break;
            }
        }

        if (method is null || routePath is null)
        {
            var missing = string.Join(" and ", new[] { method is null ? "'method'" : null, routePath is null ? "'path'" : null }.OfType<string>());
            if (!mapping.Entries.Any(entry => entry.Value is FailedValue))
            {
                reader.Error(mapping.Location, $"{path} must have {missing} (for example method: get, path: /users/{{id}})");
            }

            return null;
        }

        return Build(method.Text, method.Location, routePath.Text, routePath.Location, path, payloadFormat);
    }

    private ScalarValue? RequireScalar(MappingEntry entry, string path)
    {
        if (entry.Value is ScalarValue { IsNull: false } scalar)
        {
            return scalar;
        }

        if (entry.Value is not FailedValue)
        {
            reader.Error(entry.Value.Location, $"{path}.{entry.Key} must be a string, got {entry.Value.Describe()}");
        }

        return null;
    }

    private HttpRoute? Build(string method, SourceLocation methodLocation, string routePath, SourceLocation pathLocation, string path, string payloadFormat)
    {
        var valid = true;
        if (!RouteSyntax.TryNormalizeMethod(method, out var normalizedMethod))
        {
            reader.Error(methodLocation, $"{path} method must be one of {RouteSyntax.MethodRule}, got {NamingRules.Quote(method)}");
            valid = false;
        }

        var normalizedPath = routePath.Trim();
        if (payloadFormat == HttpRoute.PayloadV1 && normalizedPath != RouteSyntax.AnyPath)
        {
            // REST API (v1) paths are written without a leading slash in Serverless examples.
            normalizedPath = "/" + normalizedPath.TrimStart('/');
        }

        if (RouteSyntax.FindPathProblem(normalizedPath) is { } problem)
        {
            reader.Error(pathLocation, $"{path} path {problem}, got {NamingRules.Quote(routePath)}");
            valid = false;
        }

        return valid ? new HttpRoute(normalizedMethod, normalizedPath, payloadFormat) : null;
    }
}
