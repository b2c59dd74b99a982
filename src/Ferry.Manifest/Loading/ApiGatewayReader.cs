using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>provider.httpApi</c> (its <c>cors</c>) and <c>provider.apiGateway</c> (its <c>apiKeys</c>); the other keys
/// of these sections configure AWS resources Ferry has no counterpart for, so they warn once as unused.
/// </summary>
internal sealed class ApiGatewayReader(ValueReader reader)
{
    private readonly CorsReader cors = new(reader);

    /// <summary><c>provider.httpApi.cors</c>, or null when CORS is off.</summary>
    public CorsSettings? ReadHttpApi(ValueNode value, string path)
    {
        CorsSettings? settings = null;
        foreach (var entry in reader.Entries(value, path))
        {
            if (entry.Key == "cors")
            {
                settings = cors.ReadHttpApi(entry.Value, $"{path}.cors");
            }
            else
            {
                reader.IgnoredKey(entry, $"{path}.{entry.Key}", KnownKeys.HttpApi);
            }
        }

        return settings;
    }

    /// <summary><c>provider.apiGateway.apiKeys</c>.</summary>
    public List<ApiKeyDeclaration> ReadApiGateway(ValueNode value, string path)
    {
        var keys = new List<ApiKeyDeclaration>();
        foreach (var entry in reader.Entries(value, path))
        {
            if (entry.Key == "apiKeys")
            {
                ReadApiKeys(entry.Value, $"{path}.apiKeys", keys);
            }
            else
            {
                reader.IgnoredKey(entry, $"{path}.{entry.Key}", KnownKeys.ApiGateway);
            }
        }

        return keys;
    }

    /// <summary><c>provider.apiKeys</c>: where Serverless v1/v2 apps declare their API keys (v3 moved them under apiGateway).</summary>
    public List<ApiKeyDeclaration> ReadProviderApiKeys(ValueNode value, string path)
    {
        var keys = new List<ApiKeyDeclaration>();
        ReadApiKeys(value, path, keys);
        return keys;
    }

    /// <summary>
    /// A list of names, of <c>{ name, value }</c> mappings, or of usage plans (<c>- planName: [keys]</c>), which Ferry
    /// flattens: every key of the app stage opens every private route.
    /// </summary>
    private void ReadApiKeys(ValueNode value, string path, List<ApiKeyDeclaration> keys)
    {
        var items = reader.Items(value, path);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            switch (items[i])
            {
                case ScalarValue { IsNull: false } name:
                    Add(new ApiKeyDeclaration(name.Text), name.Location, itemPath, keys);
                    break;
                case MappingValue mapping when mapping.Entries.Any(e => e.Key == "name"):
                    ReadKeyMapping(mapping, itemPath, keys);
                    break;
                case MappingValue { Entries: [var plan] } when plan.Value is SequenceValue:
                    ReadApiKeys(plan.Value, $"{itemPath}.{plan.Key}", keys);
                    break;
                case FailedValue:
                    break;
                default:
                    reader.Error(items[i].Location,
                        $"{itemPath} must be a key name, a mapping with 'name' (and optionally 'value'), or a usage plan with a list of keys, got {items[i].Describe()}");
                    break;
            }
        }
    }

    private void ReadKeyMapping(MappingValue mapping, string path, List<ApiKeyDeclaration> keys)
    {
        string? name = null;
        string? keyValue = null;
        foreach (var field in mapping.Entries)
        {
            switch (field.Key)
            {
                case "name":
                    name = reader.String(field.Value, $"{path}.name");
                    break;
                case "value":
                    keyValue = reader.String(field.Value, $"{path}.value");
                    break;
                case "description" or "customerId" or "enabled":
                    break;
                default:
                    reader.Warning(field.KeyLocation, $"unknown key '{path}.{field.Key}' is ignored; an API key has name and value");
                    break;
            }
        }

        if (name is not null)
        {
            Add(new ApiKeyDeclaration(name, keyValue), mapping.Location, path, keys);
        }
    }

    private void Add(ApiKeyDeclaration key, SourceLocation location, string path, List<ApiKeyDeclaration> keys)
    {
        if (!ApiKeyRules.IsValidName(key.Name))
        {
            reader.Error(location, $"{path}: API key name {NamingRules.Quote(key.Name)} is invalid; API key names are {ApiKeyRules.NameRule}");
            return;
        }

        if (key.Value is { } secret && ApiKeyRules.FindValueProblem(secret) is { } problem)
        {
            reader.Error(location, $"{path}: the value of API key '{key.Name}' {problem}");
            return;
        }

        if (keys.Any(existing => existing.Name == key.Name))
        {
            reader.Error(location, $"{path}: API key '{key.Name}' is declared twice");
            return;
        }

        keys.Add(key);
    }
}
