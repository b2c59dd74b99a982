using System.Text.RegularExpressions;
using Ferry.Manifest.Loading;
using Ferry.Manifest.Rules;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// Reads a Serverless Components file (<c>component: scf</c>, <c>multi-scf</c>, <c>express</c>, …; the format of
/// Tencent's Serverless Application Center) by rewriting it into the <c>serverless.yml</c> tree the rest of the loader
/// reads, so both formats share one set of rules, defaults and errors. Values are moved, not copied: each keeps its
/// place in the file, so an error in a moved value points at the line the user wrote. Keys Ferry can't honour are
/// warnings naming the key.
/// </summary>
/// <remarks>
/// The component's instance <c>name</c> becomes the service (one app stage per component); <c>stage</c> is the
/// default stage (<c>--stage</c> wins); <c>inputs.region</c> the region. <c>${stage}</c>, <c>${app}</c>, <c>${name}</c>
/// and <c>${org}</c> are the Components format's own variables; <c>${env:…}</c> is read as in serverless.yml.
/// </remarks>
internal sealed partial class ComponentTranslator(string fileName, ManifestLoadOptions options, DiagnosticBag diagnostics)
{
    private static readonly HashSet<string> RootKeys = new(StringComparer.Ordinal) { "component", "name", "app", "stage", "org", "inputs" };

    /// <summary>Whether the file is in the Components format: it names a <c>component</c> and has no <c>service</c>.</summary>
    public static bool IsComponentFile(YamlMappingNode root) =>
        Child(root, "component") is not null && Child(root, "service") is null;

    /// <summary>The <c>serverless.yml</c> tree equivalent to <paramref name="root"/>, or null after reporting errors.</summary>
    public YamlMappingNode? Translate(YamlMappingNode root)
    {
        foreach (var (key, _) in root.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && !RootKeys.Contains(name))
            {
                Warning(key, $"'{name}' is not a key of the Serverless Components format (component, name, app, stage, org, inputs); it is ignored");
            }
        }

        var component = RequiredText(root, "component", "the component to deploy, for example 'component: scf'");
        var instance = RequiredText(root, "name", "the component instance's name, for example 'name: shop-api'");
        if (component is null || instance is null)
        {
            return null;
        }

        var app = Text(Child(root, "app")) is { Length: > 0 } appName ? appName : instance.Value!;
        var org = Text(Child(root, "org")) ?? "";
        var stage = options.Stage ?? Text(Child(root, "stage")) ?? ManifestDefaults.Stage;
        SubstituteInstanceVariables(root, new InstanceVariables(app, instance.Value!, org, stage));

        var inputs = Child(root, "inputs") switch
        {
            YamlMappingNode mapping => mapping,
            null => new YamlMappingNode(),
            var other => Invalid(other, "inputs must be a mapping of the component's parameters"),
        };
        if (inputs is null)
        {
            return null;
        }

        var kind = ComponentKinds.Find(component.Value!);
        if (kind is null)
        {
            Error(component, $"component '{component.Value}' is not one Ferry deploys; supported: {ComponentKinds.Described}");
            return null;
        }

        var provider = Provider(root, inputs);
        var translated = new YamlMappingNode
        {
            { "service", ServiceName(instance) },
            { "provider", provider },
        };

        if (kind == ComponentKind.Database)
        {
            return new DatabaseComponent(this).AddDatabase(translated, instance, inputs) ? translated : null;
        }

        var functions = new YamlMappingNode();
        var code = new ComponentCode(this, inputs);
        var ok = kind switch
        {
            ComponentKind.Scf => new ScfComponent(this, code, provider).AddFunction(functions, instance.Value!, inputs),
            ComponentKind.MultiScf => new ScfComponent(this, code, provider).AddFunctions(functions, inputs),
            _ => new FrameworkComponent(this, code, kind.Value).AddFunction(functions, instance.Value!, inputs),
        };

        if (CorsEnabled)
        {
            provider.Add("httpApi", new YamlMappingNode { { "cors", "true" } });
        }

        translated.Add("functions", functions);
        if (CustomDomains.Count > 0)
        {
            translated.Add("custom", new YamlMappingNode { { "customDomains", new YamlSequenceNode(CustomDomains) } });
        }

        if (code.Patterns.Count > 0)
        {
            translated.Add("package", new YamlMappingNode { { "patterns", new YamlSequenceNode(code.Patterns) } });
        }

        if (usedDatabases.Count > 0)
        {
            var databases = new YamlMappingNode();
            foreach (var (name, database) in usedDatabases)
            {
                databases.Add(name, new YamlMappingNode
                {
                    { "service", database.Service },
                    { "stage", database.Stage },
                    { "region", database.Region },
                    { "database", database.Database },
                });
            }

            translated.Add("resources", new YamlMappingNode { { "databases", databases } });
        }

        return ok ? translated : null;
    }

    /// <summary>Databases of database components this one reads the connection outputs of, by instance name.</summary>
    private readonly SortedDictionary<string, DatabaseComponentOutput> usedDatabases = new(StringComparer.Ordinal);

    /// <summary>Set by a component whose API answers browsers' CORS preflights (<c>enableCORS: true</c>).</summary>
    internal bool CorsEnabled { get; set; }

    /// <summary><c>custom.customDomains</c> items (serverless-domain-manager's shape) the component declares.</summary>
    internal List<YamlNode> CustomDomains { get; } = [];

    internal static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    internal static string? Text(YamlNode? node) => node is YamlScalarNode { Value: { } text } ? text : null;

    internal void Error(YamlNode node, string message) => diagnostics.Error(Location(node), message);

    internal void Warning(YamlNode node, string message) => diagnostics.Warning(Location(node), message);

    internal SourceLocation? Location(YamlNode node) => node.Start.Line == 0 ? null : Locations.Of(node, fileName);

    internal YamlMappingNode? Invalid(YamlNode node, string message)
    {
        Error(node, message);
        return null;
    }

    private YamlScalarNode? RequiredText(YamlMappingNode root, string key, string what)
    {
        switch (Child(root, key))
        {
            case YamlScalarNode { Value: { Length: > 0 } } scalar:
                return scalar;
            case null:
                diagnostics.Error(Locations.Of(root, fileName), $"'{key}' is required: {what}");
                return null;
            case var other:
                Error(other, $"{key} must be a string: {what}");
                return null;
        }
    }

    /// <summary>The instance name as a service name; Tencent allows '_' and capitals, Ferry's URLs don't.</summary>
    private YamlScalarNode ServiceName(YamlScalarNode instance)
    {
        var name = instance.Value!;
        if (NamingRules.IsValidServiceName(name) || name.Contains("${", StringComparison.Ordinal))
        {
            return instance;
        }

        var adjusted = name.ToLowerInvariant().Replace('_', '-');
        if (NamingRules.IsValidServiceName(adjusted))
        {
            Warning(instance, $"name '{name}' is deployed as the service '{adjusted}' (service names are {NamingRules.ServiceNameRule})");
            instance.Value = adjusted;
        }

        return instance;
    }

    private YamlMappingNode Provider(YamlMappingNode root, YamlMappingNode inputs)
    {
        var provider = new YamlMappingNode { { "name", "ferry" } };
        if (Child(root, "stage") is { } stage)
        {
            provider.Add("stage", stage);
        }

        if (Child(inputs, "region") is { } region)
        {
            provider.Add("region", region);
        }

        return provider;
    }

    private sealed record InstanceVariables(string App, string Name, string Org, string Stage);

    /// <summary>
    /// <c>${stage}</c> becomes <c>${sls:stage}</c> (so <c>--stage</c> applies), <c>${app}</c>, <c>${name}</c> and
    /// <c>${org}</c> their values; <c>${output:…}</c> takes the named component's output. Scalars are edited in place
    /// so they keep their location.
    /// </summary>
    /// <returns>A node to put in place of <paramref name="node"/>, or null when it was edited in place.</returns>
    private YamlNode? SubstituteInstanceVariables(YamlNode node, InstanceVariables variables)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { } text } scalar when text.Contains("${", StringComparison.Ordinal):
                // Inside ${output:…} the stage is this deploy's stage itself: the reference is answered here, not by the resolver.
                text = InstanceVariable().Replace(text, match => match.Groups["name"].Value switch
                {
                    "stage" => "\u0000stage\u0000",
                    "app" => variables.App,
                    "name" => variables.Name,
                    _ => variables.Org,
                });
                text = ResolveOutputs(scalar, text.Replace("\u0000stage\u0000", variables.Stage, StringComparison.Ordinal), variables)
                    ?? text;
                scalar.Value = text.Replace("\u0000stage\u0000", "${sls:stage}", StringComparison.Ordinal);
                return DatabaseUrlReference(scalar);
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children.ToList())
                {
                    if (SubstituteInstanceVariables(value, variables) is { } replacement)
                    {
                        mapping.Children[key] = replacement;
                    }
                }

                return null;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    if (SubstituteInstanceVariables(sequence.Children[i], variables) is { } replacement)
                    {
                        sequence.Children[i] = replacement;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>Marks a database component's connection output in a value until <see cref="DatabaseUrlReference"/> replaces it.</summary>
    private const char DatabaseMark = '\u0001';

    /// <summary>
    /// A value that read a database component's connection output: <c>Fn::GetAtt [NAME, Url]</c>, or
    /// <c>Fn::Join</c> of it and the text around it; null when the value read none.
    /// </summary>
    private static YamlNode? DatabaseUrlReference(YamlScalarNode scalar)
    {
        var text = scalar.Value!;
        if (!text.Contains(DatabaseMark, StringComparison.Ordinal))
        {
            return null;
        }

        // "a\u0001shop-db\u0001b" splits into text, database, text, …: odd parts are database names.
        var parts = text.Split(DatabaseMark);
        static YamlNode GetAtt(string database) => new YamlMappingNode { { "Fn::GetAtt", new YamlSequenceNode(new YamlScalarNode(database), new YamlScalarNode("Url")) } };
        if (parts is ["", var only, ""])
        {
            return GetAtt(only);
        }

        var joined = new YamlSequenceNode();
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 1)
            {
                joined.Add(GetAtt(parts[i]));
            }
            else if (parts[i].Length > 0)
            {
                joined.Add(new YamlScalarNode(parts[i]));
            }
        }

        return new YamlMappingNode { { "Fn::Join", new YamlSequenceNode(new YamlScalarNode(""), joined) } };
    }

    /// <returns>The text with its <c>${output:…}</c> references replaced, or null when it has none.</returns>
    private string? ResolveOutputs(YamlScalarNode scalar, string text, InstanceVariables variables)
    {
        var references = ComponentOutputReference.FindIn(text).ToList();
        if (references.Count == 0)
        {
            return null;
        }

        foreach (var (match, reference) in references)
        {
            if (reference is null)
            {
                Error(scalar, $"{match.Value} must be written ${{output:STAGE:APP:INSTANCE.KEY}}, for example ${{output:${{stage}}:${{app}}:shop-db.url}}");
                continue;
            }

            var value = options.ComponentOutput(reference);
            if (value is null)
            {
                Error(scalar, reference.App != variables.App
                    ? $"{match.Value} names the app '{reference.App}', but this component is in '{variables.App}'; outputs are read from components of the same app"
                    : $"{match.Value}: the component '{reference.Instance}' of stage '{reference.Stage}' has no output '{reference.Key}'; deploy the whole app from its root folder ('ferry deploy' there deploys each component after those it reads outputs of)");
                continue;
            }

            if (DatabaseComponentOutput.TryParse(value) is { } database)
            {
                // The connection URL is never copied: the database is used by reference and its URL read per instance.
                if (!Rules.NamingRules.IsValidDatabaseName(reference.Instance))
                {
                    Error(scalar, $"{match.Value}: the database component's name '{reference.Instance}' names the database in this component, and database names are {Rules.NamingRules.DatabaseNameRule}");
                    continue;
                }

                usedDatabases[reference.Instance] = database;
                value = $"{DatabaseMark}{reference.Instance}{DatabaseMark}";
            }

            text = text.Replace(match.Value, value, StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"\$\{(?<name>stage|app|name|org)\}", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceVariable();
}
