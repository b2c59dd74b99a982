using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// A framework component (<c>express</c>, <c>koa</c>, <c>flask</c>, <c>django</c>, …): the app is one web function
/// named after the component instance, started by the framework's preset and reached at every path of the app stage.
/// <c>inputs.functionConf</c> sizes it, <c>inputs.apigatewayConf.enableCORS</c> answers browser preflights.
/// </summary>
internal sealed class FrameworkComponent(ComponentTranslator translator, ComponentCode code, ComponentKind kind)
{
    private static readonly HashSet<string> Quiet = new(StringComparer.Ordinal)
    {
        "src", "region", "runtime", "namespace", "description", "functionName", "serviceName", "serviceId", "tags", "type",
    };

    private static readonly HashSet<string> FunctionConfQuiet = new(StringComparer.Ordinal) { "description", "tags", "namespace" };

    private static readonly HashSet<string> ApiGatewayQuiet = new(StringComparer.Ordinal)
    {
        "protocols", "environment", "serviceName", "serviceId", "serviceDesc", "isDisabled", "apiName", "description", "netTypes",
    };

    /// <summary>The entry files the Node presets look for (after package.json's main and start script).</summary>
    private static readonly string[] PresetEntryFiles = ["sls.js", "app.js", "index.js", "server.js", "src/app.js", "src/index.js"];

    public bool AddFunction(YamlMappingNode functions, string name, YamlMappingNode inputs)
    {
        var function = new YamlMappingNode
        {
            { "runtime", "web" },
            { "framework", ComponentKinds.FrameworkOf(kind) },
        };

        if (code.Folder.Length > 0)
        {
            translator.Error(ComponentTranslator.Child(inputs, "src")!, $"the {ComponentKinds.FrameworkOf(kind)} component deploys the app folder itself; set inputs.src to './' (and list what to leave out under 'exclude')");
            return false;
        }

        if (code.Hook is { } hook)
        {
            translator.Warning(hook, $"inputs.src.hook is not run: the {ComponentKinds.FrameworkOf(kind)} preset builds the app itself at deploy (see README, Bring your framework)");
        }

        var cors = false;
        foreach (var (keyNode, value) in inputs.Children)
        {
            var key = ComponentTranslator.Text(keyNode) ?? "";
            switch (key)
            {
                case "entryFile":
                    if (value is YamlScalarNode { Value: { } entry } && !PresetEntryFiles.Contains(entry.TrimStart('.', '/')))
                    {
                        translator.Warning(value, $"inputs.entryFile '{entry}' is not used: the preset starts package.json's 'main' or 'start' script, else the first of {string.Join(", ", PresetEntryFiles)}");
                    }

                    break;
                case "functionConf":
                    ReadFunctionConf(function, value);
                    break;
                case "apigatewayConf":
                    cors = ReadApiGatewayConf(value);
                    break;
                case var _ when Quiet.Contains(key):
                    break;
                default:
                    translator.Warning(keyNode, $"inputs.{key} is ignored: Ferry does not implement it for the {ComponentKinds.FrameworkOf(kind)} component");
                    break;
            }
        }

        var events = new YamlSequenceNode(new YamlMappingNode { { "httpApi", "*" } });
        if (cors)
        {
            translator.CorsEnabled = true;
        }

        function.Add("events", events);
        functions.Add(name, function);
        return true;
    }

    private void ReadFunctionConf(YamlMappingNode function, YamlNode value)
    {
        if (value is not YamlMappingNode conf)
        {
            translator.Error(value, "inputs.functionConf must be a mapping (memorySize, timeout, environment)");
            return;
        }

        foreach (var (keyNode, setting) in conf.Children)
        {
            var key = ComponentTranslator.Text(keyNode) ?? "";
            switch (key)
            {
                case "memorySize" or "timeout":
                    function.Add(key, setting);
                    break;
                case "environment":
                    if (setting is YamlMappingNode environment && ComponentTranslator.Child(environment, "variables") is YamlMappingNode variables)
                    {
                        function.Add("environment", variables);
                    }
                    else if (setting is not YamlMappingNode { Children.Count: 0 })
                    {
                        translator.Error(setting, "inputs.functionConf.environment holds its variables under 'variables', for example 'environment: { variables: { KEY: value } }'");
                    }

                    break;
                case var _ when FunctionConfQuiet.Contains(key):
                    break;
                default:
                    translator.Warning(keyNode, $"inputs.functionConf.{key} is ignored: Ferry does not implement it");
                    break;
            }
        }
    }

    /// <summary>
    /// <c>customDomains: [{ domain, customMap, pathMap: [{ path, environment }], certId, protocols }]</c> become
    /// serverless-domain-manager's <c>custom.customDomains</c>; a custom path mapping gives the base path.
    /// </summary>
    private void ReadCustomDomains(YamlNode value)
    {
        if (value is not YamlSequenceNode list)
        {
            translator.Error(value, "inputs.apigatewayConf.customDomains must be a list of domains, each with 'domain'");
            return;
        }

        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode domain || ComponentTranslator.Child(domain, "domain") is not YamlScalarNode name)
            {
                translator.Error(item, "each of inputs.apigatewayConf.customDomains needs 'domain', for example '- domain: api.example.com'");
                continue;
            }

            var declaration = new YamlMappingNode { { "domainName", name } };
            var custom = ComponentTranslator.Child(domain, "customMap") is YamlScalarNode { Value: { } customMap } && bool.TryParse(customMap, out var isCustom) && isCustom;
            if (custom && ComponentTranslator.Child(domain, "pathMap") is YamlSequenceNode { Children: [YamlMappingNode first, ..] }
                && ComponentTranslator.Child(first, "path") is YamlScalarNode path)
            {
                declaration.Add("basePath", path);
            }

            if (ComponentTranslator.Child(domain, "certId") is { } certificate)
            {
                translator.Warning(certificate, "certId is not used: Ferry's HTTPS listener takes the certificate for the domain from its --tls-cert folder (see docs/domains.md)");
            }

            translator.CustomDomains.Add(declaration);
        }
    }

    /// <returns>Whether CORS is enabled.</returns>
    private bool ReadApiGatewayConf(YamlNode value)
    {
        if (value is not YamlMappingNode conf)
        {
            translator.Error(value, "inputs.apigatewayConf must be a mapping (enableCORS, customDomains, …)");
            return false;
        }

        var cors = false;
        foreach (var (keyNode, setting) in conf.Children)
        {
            var key = ComponentTranslator.Text(keyNode) ?? "";
            switch (key)
            {
                case "enableCORS":
                    cors = setting is YamlScalarNode { Value: { } text } && bool.TryParse(text, out var enabled) && enabled;
                    break;
                case "customDomains":
                    ReadCustomDomains(setting);
                    break;
                case var _ when ApiGatewayQuiet.Contains(key):
                    break;
                default:
                    translator.Warning(keyNode, $"inputs.apigatewayConf.{key} is ignored: Ferry does not implement it");
                    break;
            }
        }

        return cors;
    }
}
