using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>httpApi</c> events (HTTP API, payload 2.0) and <c>http</c> events (REST API, payload 1.0) into routes.
/// </summary>
internal sealed class HttpEventReader(ValueReader reader)
{
    private readonly CorsReader cors = new(reader);

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
        CorsSettings? corsSettings = null;
        var isPrivate = false;
        foreach (var entry in mapping.Entries)
        {
            switch (entry.Key)
            {
                case "cors" when payloadFormat == HttpRoute.PayloadV1:
                    corsSettings = cors.ReadRestApi(entry.Value, $"{path}.cors");
                    break;
                case "cors":
                    reader.Warning(entry.KeyLocation, $"'{path}.cors' is not used: httpApi routes take their CORS settings from provider.httpApi.cors");
                    break;
                case "private" when payloadFormat == HttpRoute.PayloadV1:
                    isPrivate = ReadPrivate(entry.Value, $"{path}.private");
                    break;
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

        return Build(method.Text, method.Location, routePath.Text, routePath.Location, path, payloadFormat) is { } route
            ? route with { Cors = corsSettings, Private = isPrivate }
            : null;
    }

    private bool ReadPrivate(ValueNode value, string path)
    {
        if (value is ScalarValue { Text: "true" or "false" } flag)
        {
            return flag.Text == "true";
        }

        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be true (requests need an x-api-key header) or false, got {value.Describe()}");
        }

        return false;
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
