using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads the custom domains of serverless-domain-manager from the free-form <c>custom</c> section:
/// <c>custom.customDomain: { domainName, basePath }</c>, or a <c>custom.customDomains</c> list whose items are such
/// mappings or <c>- rest: {…}</c> / <c>- http: {…}</c> (websocket domains are not supported). Only these two keys of
/// <c>custom</c> are resolved; the rest stays free-form data for <c>${self:custom.…}</c>.
/// </summary>
internal sealed class CustomDomainReader(VariableResolver resolver, ValueReader reader)
{
    /// <summary>serverless-domain-manager settings about AWS resources (DNS records, endpoint types) Ferry has no counterpart for.</summary>
    private static readonly HashSet<string> AwsOnlyKeys = new(StringComparer.Ordinal)
    {
        "createRoute53Record", "createRoute53IPv6Record", "endpointType", "apiType", "hostedZoneId", "hostedZonePrivate",
        "securityPolicy", "autoDomain", "autoDomainWaitFor", "preserveExternalPathMappings", "route53Profile", "route53Region",
        "route53Params", "allowPathMatching", "splitHorizonDns", "tlsTruststoreUri", "tlsTruststoreVersion",
    };

    public List<CustomDomainDeclaration> Read(YamlNode custom)
    {
        var domains = new List<CustomDomainDeclaration>();
        if (custom is not YamlMappingNode mapping)
        {
            return domains;
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            switch ((keyNode as YamlScalarNode)?.Value)
            {
                case "customDomain":
                    ReadDomain(resolver.Resolve(valueNode), "custom.customDomain", domains);
                    break;
                case "customDomains":
                    ReadList(resolver.Resolve(valueNode), "custom.customDomains", domains);
                    break;
            }
        }

        return domains;
    }

    private void ReadList(ValueNode value, string path, List<CustomDomainDeclaration> domains)
    {
        var items = reader.Items(value, path);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            switch (items[i])
            {
                case MappingValue { Entries: [{ Key: "rest" or "http" } apiType] }:
                    ReadDomain(apiType.Value, $"{itemPath}.{apiType.Key}", domains);
                    break;
                case MappingValue { Entries: [{ Key: "websocket" } websocket] }:
                    reader.Warning(websocket.KeyLocation, $"{itemPath}.websocket: WebSocket APIs are not supported by Ferry; this domain is not bound");
                    break;
                case MappingValue:
                    ReadDomain(items[i], itemPath, domains);
                    break;
                case FailedValue:
                    break;
                default:
                    reader.Error(items[i].Location, $"{itemPath} must be a mapping with domainName (or '- rest:'/'- http:' with one), got {items[i].Describe()}");
                    break;
            }
        }
    }

    private void ReadDomain(ValueNode value, string path, List<CustomDomainDeclaration> domains)
    {
        string? host = null;
        SourceLocation? hostLocation = null;
        var basePath = "";
        var enabled = true;
        foreach (var field in reader.Entries(value, path))
        {
            var fieldPath = $"{path}.{field.Key}";
            switch (field.Key)
            {
                case "domainName":
                    host = reader.String(field.Value, fieldPath);
                    hostLocation = field.Value.Location;
                    break;
                case "basePath":
                    var written = field.Value is ScalarValue { IsNull: true } ? "" : reader.String(field.Value, fieldPath);
                    if (written is not null && DomainNameRules.NormalizeBasePath(written) is { } normalized)
                    {
                        basePath = normalized;
                    }
                    else if (written is not null)
                    {
                        reader.Error(field.Value.Location, $"{fieldPath} '{written}' is invalid; a base path is {DomainNameRules.BasePathRule}");
                    }

                    break;
                case "enabled":
                    enabled = field.Value is not ScalarValue { Text: "false" or "False" or "FALSE" };
                    break;
                case "stage":
                    if (reader.String(field.Value, fieldPath) is { } stage && stage != resolver.SelectedStage)
                    {
                        reader.Warning(field.Value.Location,
                            $"{fieldPath} '{stage}' is ignored: Ferry binds the domain to the stage being deployed ('{resolver.SelectedStage}')");
                    }

                    break;
                case "certificateName" or "certificateArn":
                    reader.Warning(field.KeyLocation,
                        $"{fieldPath} is ignored: Ferry serves the certificate from the server's certificate folder (<data>/certs/<host>.pem and .key, see docs/domains.md)");
                    break;
                default:
                    if (!AwsOnlyKeys.Contains(field.Key))
                    {
                        reader.Warning(field.KeyLocation, $"unknown key '{fieldPath}' is ignored; a custom domain has domainName and basePath");
                    }

                    break;
            }
        }

        if (!enabled)
        {
            return;
        }

        if (host is null)
        {
            if (value is MappingValue)
            {
                reader.Error(value.Location, $"{path}.domainName is required: the host name to serve the app at, such as api.example.com");
            }

            return;
        }

        host = host.TrimEnd('.').ToLowerInvariant();
        var key = $"{path}.domainName";
        if (DomainNameRules.FindProblem(host) is { } problem)
        {
            reader.Error(hostLocation!, $"{key} '{host}' {problem}; expected {DomainNameRules.Rule}");
            return;
        }

        if (domains.Any(d => d.DomainName == host && d.BasePath == basePath))
        {
            reader.Error(hostLocation!, $"{key}: {host}{basePath} is declared twice");
            return;
        }

        domains.Add(new CustomDomainDeclaration(host, basePath, key, hostLocation));
    }
}
