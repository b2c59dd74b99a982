using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>httpApi</c> events (HTTP API, payload 2.0) and <c>http</c> events (REST API, payload 1.0) into routes.
/// </summary>
internal sealed class HttpEventReader(ValueReader reader)
{
    public const string HttpApi = "httpApi";
    public const string Http = "http";

    public HttpRoute? ReadRoute(ValueNode value, string path, string payloadFormat)
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
