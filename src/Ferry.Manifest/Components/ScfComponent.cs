using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// The <c>scf</c> component (one event function, its triggers under <c>inputs.events</c>) and <c>multi-scf</c>
/// (functions under <c>inputs.functions</c>, triggers under <c>inputs.triggers</c> naming their function), rewritten
/// as <c>functions:</c> of serverless.yml: <c>apigw</c> endpoints become <c>http</c> events, <c>timer</c>s
/// <c>schedule</c>s and <c>cos</c> triggers <c>s3</c> events. Settings shared by a multi-scf component's functions
/// (runtime, memorySize, timeout, environment) go to <c>provider</c>, as serverless.yml shares them.
/// </summary>
internal sealed partial class ScfComponent(ComponentTranslator translator, ComponentCode code, YamlMappingNode provider)
{
    /// <summary>Keys that change behaviour on Tencent Cloud and that Ferry ignores (a warning each).</summary>
    private static readonly HashSet<string> Unused = new(StringComparer.Ordinal)
    {
        "vpcConfig", "vpc", "cfs", "layers", "eip", "asyncRunEnable", "traceEnable", "cls", "deadLetter", "initTimeout",
        "l5Enable", "role", "enableRoleAuth", "publicAccess", "installDependency", "image", "msgTTL", "retryNum",
        "provisionedNum", "concurrency", "instanceConcurrencyConfig", "ignoreTriggers",
    };

    /// <summary>Metadata Ferry accepts silently.</summary>
    private static readonly HashSet<string> Quiet = new(StringComparer.Ordinal) { "namespace", "description", "tags", "name", "region", "src", "type", "qualifier" };

    private readonly Dictionary<string, YamlSequenceNode> events = new(StringComparer.Ordinal);

    /// <summary><c>component: scf</c>: the function is named after the component instance.</summary>
    public bool AddFunction(YamlMappingNode functions, string name, YamlMappingNode inputs)
    {
        var function = Function(inputs, "inputs", shared: false);
        if (ComponentTranslator.Child(inputs, "events") is { } declared)
        {
            if (declared is YamlSequenceNode list)
            {
                foreach (var item in list.Children)
                {
                    AddEvent(name, item);
                }
            }
            else
            {
                translator.Error(declared, "inputs.events must be a list of triggers (timer, apigw, cos)");
            }
        }

        functions.Add(name, function);
        AttachEvents(functions);
        return true;
    }

    /// <summary><c>component: multi-scf</c>.</summary>
    public bool AddFunctions(YamlMappingNode functions, YamlMappingNode inputs)
    {
        if (ComponentTranslator.Child(inputs, "type") is YamlScalarNode { Value: "web" } web)
        {
            translator.Error(web, "multi-scf web functions (type: web, started by scf_bootstrap) are not supported; deploy the web app with a framework component (express, flask, …) or as a web function in serverless.yml");
            return false;
        }

        foreach (var key in new[] { "runtime", "memorySize", "timeout" })
        {
            if (ComponentTranslator.Child(inputs, key) is { } value)
            {
                provider.Add(key, key == "runtime" ? Runtime(value, "inputs.runtime") : value);
            }
        }

        if (Environment(inputs, "inputs") is { } environment)
        {
            provider.Add("environment", environment);
        }

        provider.Children.TryAdd(new YamlScalarNode("runtime"), new YamlScalarNode(DefaultNodeRuntime));
        WarnAboutKeys(inputs, "inputs", ["functions", "triggers", "runtime", "memorySize", "timeout", "environment", "environments", "events"]);

        switch (ComponentTranslator.Child(inputs, "functions"))
        {
            case YamlMappingNode byKey:
                foreach (var (key, value) in byKey.Children)
                {
                    AddDeclared(functions, ComponentTranslator.Text(key), key, value);
                }

                break;
            case YamlSequenceNode list:
                // The older form: a list of functions, each with its 'name'.
                foreach (var item in list.Children)
                {
                    var name = item is YamlMappingNode mapping ? ComponentTranslator.Child(mapping, "name") : null;
                    AddDeclared(functions, ComponentTranslator.Text(name), name ?? item, item);
                }

                break;
            case null:
                translator.Error(inputs, "a multi-scf component needs inputs.functions: its functions by name, each with a 'handler'");
                return false;
            case var other:
                translator.Error(other, "inputs.functions must map each function's name to its settings ('handler', 'memorySize', …)");
                return false;
        }

        if (ComponentTranslator.Child(inputs, "triggers") is { } triggers)
        {
            if (triggers is YamlSequenceNode list)
            {
                foreach (var trigger in list.Children)
                {
                    AddTrigger(functions, trigger);
                }
            }
            else
            {
                translator.Error(triggers, "inputs.triggers must be a list of triggers, each with 'type', 'function' and 'parameters'");
            }
        }

        AttachEvents(functions);
        return true;
    }

    private void AddDeclared(YamlMappingNode functions, string? name, YamlNode at, YamlNode declaration)
    {
        if (name is null)
        {
            translator.Error(at, "each function of inputs.functions needs a name");
            return;
        }

        if (declaration is not YamlMappingNode settings)
        {
            translator.Error(declaration, $"inputs.functions.{name} must be a mapping with a 'handler'");
            return;
        }

        var function = Function(settings, $"inputs.functions.{name}", shared: true);
        if (ComponentTranslator.Child(settings, "src") is YamlScalarNode folder && ComponentTranslator.Child(function, "handler") is YamlScalarNode handler)
        {
            // A function's own code folder (inside the component's): its handler is relative to it.
            handler.Value = $"{folder.Value!.Replace('\\', '/').TrimStart('.', '/').TrimEnd('/')}/{handler.Value}".TrimStart('/');
            handler.Value = code.InApp(handler.Value);
        }

        functions.Add(name, function);
    }

    private YamlMappingNode Function(YamlMappingNode settings, string path, bool shared)
    {
        var function = new YamlMappingNode();
        switch (ComponentTranslator.Child(settings, "handler"))
        {
            case YamlScalarNode handler:
                if (ComponentTranslator.Child(settings, "src") is not YamlScalarNode || !shared)
                {
                    handler.Value = code.InApp(handler.Value ?? "");
                }

                function.Add("handler", handler);
                break;
            case null when !shared:
                // The scf component's default entry point.
                function.Add("handler", code.InApp("index.main_handler"));
                break;
            case null:
                translator.Error(settings, $"{path} needs a 'handler', for example 'handler: index.main_handler'");
                break;
            case var other:
                function.Add("handler", other);
                break;
        }

        if (ComponentTranslator.Child(settings, "runtime") is { } runtime)
        {
            function.Add("runtime", Runtime(runtime, $"{path}.runtime"));
        }
        else if (!shared)
        {
            function.Add("runtime", DefaultNodeRuntime);
        }

        foreach (var key in new[] { "memorySize", "timeout" })
        {
            if (ComponentTranslator.Child(settings, key) is { } value)
            {
                function.Add(key, value);
            }
        }

        if (Environment(settings, path) is { } environment)
        {
            function.Add("environment", environment);
        }

        if (shared)
        {
            WarnAboutKeys(settings, path, ["handler", "runtime", "memorySize", "timeout", "environment", "environments"]);
        }
        else
        {
            WarnAboutKeys(settings, path, ["handler", "runtime", "memorySize", "timeout", "environment", "environments", "events"]);
        }

        return function;
    }

    /// <summary><c>environment: { variables: {K: v} }</c> or <c>environments: [{key, value}]</c>, as a serverless.yml mapping.</summary>
    private YamlMappingNode? Environment(YamlMappingNode settings, string path)
    {
        YamlMappingNode? result = null;
        switch (ComponentTranslator.Child(settings, "environment"))
        {
            case YamlMappingNode environment when ComponentTranslator.Child(environment, "variables") is { } variables:
                if (variables is YamlMappingNode mapping)
                {
                    result = mapping;
                }
                else
                {
                    translator.Error(variables, $"{path}.environment.variables must map variable names to values");
                }

                break;
            case YamlMappingNode environment when environment.Children.Count > 0:
                translator.Error(environment, $"{path}.environment holds its variables under 'variables', for example 'environment: {{ variables: {{ KEY: value }} }}'");
                break;
            case null or YamlMappingNode:
                break;
            case var other:
                translator.Error(other, $"{path}.environment must be a mapping with 'variables'");
                break;
        }

        if (ComponentTranslator.Child(settings, "environments") is { } list)
        {
            result ??= new YamlMappingNode();
            foreach (var item in list is YamlSequenceNode sequence ? sequence.Children : [list])
            {
                if (item is YamlMappingNode pair && ComponentTranslator.Child(pair, "key") is YamlScalarNode { Value: { Length: > 0 } } key)
                {
                    result.Children[new YamlScalarNode(key.Value)] = ComponentTranslator.Child(pair, "value") ?? new YamlScalarNode("");
                }
                else
                {
                    translator.Error(item, $"{path}.environments must be a list of {{ key, value }} pairs");
                }
            }
        }

        return result;
    }

    private void WarnAboutKeys(YamlMappingNode settings, string path, IReadOnlyCollection<string> read)
    {
        foreach (var (keyNode, _) in settings.Children)
        {
            var key = ComponentTranslator.Text(keyNode) ?? "";
            if (read.Contains(key) || Quiet.Contains(key))
            {
                continue;
            }

            translator.Warning(keyNode, Unused.Contains(key)
                ? $"{path}.{key} is ignored: Ferry does not implement it"
                : $"{path}.{key} is not a key Ferry knows for this component; it is ignored");
        }
    }

    private const string DefaultNodeRuntime = "nodejs20.x";

    /// <summary>Tencent's runtime names (<c>Nodejs12.16</c>, <c>Python3.6</c>, <c>CustomRuntime</c>) as Ferry's, in place.</summary>
    private YamlNode Runtime(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar)
        {
            return node;
        }

        if (RuntimeCatalog.IsKnown(text))
        {
            return scalar;
        }

        var match = TencentRuntime().Match(text);
        if (!match.Success)
        {
            translator.Error(scalar, $"{path} '{text}' is not a runtime Ferry runs; use Nodejs18.15 or later, Python3.9 or later, CustomRuntime, or one of {RuntimeCatalog.Supported}");
            return scalar;
        }

        var language = match.Groups["language"].Value.ToLowerInvariant();
        var major = match.Groups["major"].Success ? int.Parse(match.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var minor = match.Groups["minor"].Success ? int.Parse(match.Groups["minor"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var (runtime, asWritten) = language switch
        {
            // Ferry runs the even (LTS) Node.js lines from 18; older code runs on the oldest of them.
            "nodejs" => ($"nodejs{Math.Clamp(major + major % 2, 18, 22)}.x", $"nodejs{major}.x"),
            "python" when major == 3 => ($"python3.{Math.Clamp(minor, 9, 13)}", $"python3.{minor}"),
            "customruntime" => ("provided", "provided"),
            _ => ((string?)null, ""),
        };
        if (runtime is null)
        {
            translator.Error(scalar, $"{path} '{text}' is not a runtime Ferry runs; use Nodejs18.15 or later, Python3.9 or later, or CustomRuntime");
            return scalar;
        }

        if (runtime != asWritten)
        {
            translator.Warning(scalar, $"{path} '{text}' runs as {runtime}, the nearest runtime Ferry has");
        }

        scalar.Value = runtime;
        return scalar;
    }

    [GeneratedRegex(@"^(?<language>Nodejs|Python|CustomRuntime)(?:(?<major>\d+)(?:\.(?<minor>\d+))?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TencentRuntime();

    /// <summary>An <c>events</c> item of the scf component: <c>{ timer: { name, parameters } }</c>, <c>{ apigw: … }</c>, <c>{ cos: … }</c>.</summary>
    private void AddEvent(string function, YamlNode item)
    {
        if (item is not YamlMappingNode { Children.Count: 1 } mapping)
        {
            translator.Error(item, "each item of inputs.events is one trigger, for example '- timer: { parameters: { cronExpression: \"0 */5 * * * * *\" } }'");
            return;
        }

        var (typeNode, body) = mapping.Children.First();
        var parameters = body is YamlMappingNode trigger ? ComponentTranslator.Child(trigger, "parameters") as YamlMappingNode : null;
        if (parameters is null)
        {
            translator.Error(body, $"the {ComponentTranslator.Text(typeNode)} trigger needs 'parameters'");
            return;
        }

        AddTriggerEvents(ComponentTranslator.Text(typeNode) ?? "", typeNode, function, parameters, functions: null);
    }

    /// <summary>A <c>triggers</c> item of the multi-scf component: <c>{ type, function, parameters }</c>.</summary>
    private void AddTrigger(YamlMappingNode functions, YamlNode item)
    {
        if (item is not YamlMappingNode trigger || ComponentTranslator.Child(trigger, "type") is not YamlScalarNode { Value: { } type } typeNode)
        {
            translator.Error(item, "each trigger needs a 'type' (timer, apigw, cos), the 'function' it calls and its 'parameters'");
            return;
        }

        var function = ComponentTranslator.Child(trigger, "function") switch
        {
            YamlScalarNode name => name,
            YamlMappingNode named => ComponentTranslator.Child(named, "name") as YamlScalarNode,
            _ => null,
        };
        if (ComponentTranslator.Child(trigger, "parameters") is not YamlMappingNode parameters)
        {
            translator.Error(trigger, $"the {type} trigger needs 'parameters'");
            return;
        }

        if (function is not null && !functions.Children.ContainsKey(new YamlScalarNode(function.Value)))
        {
            translator.Error(function, $"the {type} trigger calls '{function.Value}', which is not a function of inputs.functions");
            return;
        }

        if (function is null && type != "apigw")
        {
            translator.Error(trigger, $"the {type} trigger needs 'function': the name of the function it calls");
            return;
        }

        AddTriggerEvents(type, typeNode, function?.Value, parameters, functions);
    }

    private void AddTriggerEvents(string type, YamlNode at, string? function, YamlMappingNode parameters, YamlMappingNode? functions)
    {
        switch (type)
        {
            case "apigw":
                AddEndpoints(function, parameters, functions);
                break;
            case "timer":
                AddTimer(function!, parameters);
                break;
            case "cos":
                AddCos(function!, parameters);
                break;
            default:
                translator.Warning(at, $"the {type} trigger is ignored: Ferry serves apigw, timer and cos triggers");
                break;
        }
    }

    private void AddEndpoints(string? function, YamlMappingNode parameters, YamlMappingNode? functions)
    {
        var endpoints = ComponentTranslator.Child(parameters, "apis") ?? ComponentTranslator.Child(parameters, "endpoints");
        if (endpoints is not YamlSequenceNode list)
        {
            translator.Error(endpoints ?? parameters, "an apigw trigger lists its routes under parameters.apis (or parameters.endpoints), each with 'path' and 'method'");
            return;
        }

        foreach (var endpoint in list.Children)
        {
            if (endpoint is not YamlMappingNode route || ComponentTranslator.Child(route, "path") is not YamlScalarNode path)
            {
                translator.Error(endpoint, "each apigw route needs a 'path', for example '- path: /users\n  method: GET'");
                continue;
            }

            var target = function;
            if (ComponentTranslator.Child(route, "function") is { } own)
            {
                // A route's own function wins over its trigger's.
                var name = own is YamlMappingNode named ? ComponentTranslator.Child(named, "name") : own;
                target = ComponentTranslator.Text(name);
                if (functions is not null && (target is null || !functions.Children.ContainsKey(new YamlScalarNode(target))))
                {
                    translator.Error(own, $"the route {path.Value} calls '{target}', which is not a function of inputs.functions");
                    continue;
                }
            }

            if (target is null)
            {
                translator.Error(route, $"the route {path.Value} needs 'function': the name of the function it calls");
                continue;
            }

            var method = ComponentTranslator.Child(route, "method") as YamlScalarNode ?? new YamlScalarNode("ANY");
            method.Value = method.Value?.ToLowerInvariant();
            var http = new YamlMappingNode { { "path", path }, { "method", method } };
            if (ComponentTranslator.Child(route, "enableCORS") is YamlScalarNode { Value: { } cors } && bool.TryParse(cors, out var enabled) && enabled)
            {
                http.Add("cors", "true");
            }

            EventsOf(target).Add(new YamlMappingNode { { "http", http } });
        }
    }

    private void AddTimer(string function, YamlMappingNode parameters)
    {
        if (ComponentTranslator.Child(parameters, "cronExpression") is not YamlScalarNode { Value: { } text } cron)
        {
            translator.Error(parameters, "a timer trigger needs parameters.cronExpression, for example '0 */5 * * * * *'");
            return;
        }

        var expression = TencentCron.ToScheduleExpression(text, out var finerThanMinutes, out var problem);
        if (expression is null)
        {
            translator.Error(cron, $"cronExpression {problem}");
            return;
        }

        if (finerThanMinutes)
        {
            translator.Warning(cron, $"cronExpression '{text}' runs several times a minute; Ferry runs schedules at most once a minute");
        }

        // Rewritten in place, so a problem with the converted expression is reported at the user's line.
        cron.Value = expression;
        var schedule = new YamlMappingNode { { "rate", cron } };
        var enable = ComponentTranslator.Child(parameters, "enable") as YamlScalarNode;
        if (enable is null || !bool.TryParse(enable.Value, out var enabled) || !enabled)
        {
            translator.Warning(enable ?? (YamlNode)parameters, "this timer is disabled: in the Components format a trigger runs only with 'enable: true'");
            schedule.Add("enabled", "false");
        }

        if (ComponentTranslator.Child(parameters, "argument") is { } argument)
        {
            schedule.Add("input", new YamlMappingNode { { "Message", argument } });
        }

        EventsOf(function).Add(new YamlMappingNode { { "schedule", schedule } });
    }

    private void AddCos(string function, YamlMappingNode parameters)
    {
        if (ComponentTranslator.Child(parameters, "bucket") is not YamlScalarNode { Value: { } bucketText } bucket)
        {
            translator.Error(parameters, "a cos trigger needs parameters.bucket: the bucket whose objects call the function");
            return;
        }

        // "photos-1250000000.cos.ap-guangzhou.myqcloud.com" names the bucket "photos-1250000000".
        var dot = bucketText.IndexOf(".cos.", StringComparison.Ordinal);
        bucket.Value = dot > 0 ? bucketText[..dot] : bucketText;
        var s3 = new YamlMappingNode { { "bucket", bucket } };
        if (ComponentTranslator.Child(parameters, "events") is YamlScalarNode { Value: { } kind } events)
        {
            events.Value = kind.StartsWith("cos:", StringComparison.Ordinal) ? "s3:" + kind["cos:".Length..] : kind;
            s3.Add("event", events);
        }

        if (ComponentTranslator.Child(parameters, "filter") is YamlMappingNode filter)
        {
            var rules = new YamlSequenceNode();
            foreach (var key in new[] { "prefix", "suffix" })
            {
                if (ComponentTranslator.Child(filter, key) is YamlScalarNode { Value.Length: > 0 } value)
                {
                    rules.Add(new YamlMappingNode { { key, value } });
                }
            }

            if (rules.Children.Count > 0)
            {
                s3.Add("rules", rules);
            }
        }

        EventsOf(function).Add(new YamlMappingNode { { "s3", s3 } });
    }

    private YamlSequenceNode EventsOf(string function)
    {
        if (!events.TryGetValue(function, out var list))
        {
            events[function] = list = new YamlSequenceNode();
        }

        return list;
    }

    private void AttachEvents(YamlMappingNode functions)
    {
        foreach (var (name, list) in events)
        {
            if (functions.Children.TryGetValue(new YamlScalarNode(name), out var function) && function is YamlMappingNode mapping)
            {
                mapping.Add("events", list);
            }
        }
    }
}
