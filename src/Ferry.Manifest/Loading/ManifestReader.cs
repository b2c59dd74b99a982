using Ferry.Manifest.Rules;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Builds a <see cref="ServiceManifest"/> from a parsed <c>serverless.yml</c>. Only the sections Ferry uses are
/// resolved (service, provider, functions, params, package, resources); other sections are resolved only when referenced.
/// </summary>
internal sealed class ManifestReader(VariableResolver resolver, ValueReader reader, ManifestLoadOptions options)
{
    private CorsSettings? httpApiCors;

    public ServiceManifest? Read(YamlMappingNode root)
    {
        string? service = null;
        MappingEntry? providerEntry = null;
        MappingEntry? functionsEntry = null;
        MappingEntry? resourcesEntry = null;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var patterns = new List<string>();
        var customDomains = new List<CustomDomainDeclaration>();
        var build = new BuildSettings();
        var buildReader = new BuildReader(reader);

        foreach (var (keyNode, valueNode) in root.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                reader.Error(resolver.LocationOf(keyNode), "top-level keys must be plain strings");
                continue;
            }

            MappingEntry Resolved() => new(key, resolver.LocationOf(keyNode), resolver.Resolve(valueNode));
            switch (key)
            {
                case "service":
                    service = ReadService(Resolved());
                    break;
                case "provider":
                    providerEntry = Resolved();
                    break;
                case "functions":
                    functionsEntry = Resolved();
                    break;
                case "params":
                    parameters = ReadParams(valueNode);
                    break;
                case "package":
                    patterns = ReadPackage(Resolved());
                    break;
                case "resources":
                    resourcesEntry = Resolved();
                    break;
                case "plugins":
                    build = build with { Plugins = buildReader.ReadPlugins(Resolved()) };
                    break;
                case "custom":
                    // Only custom.esbuild and the custom domains are resolved: other custom values are resolved when something refers to them.
                    if (valueNode is YamlMappingNode custom
                        && custom.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "esbuild" }).Value is { } esbuild)
                    {
                        build = build with { Esbuild = buildReader.ReadEsbuild(resolver.Resolve(esbuild)) };
                    }

                    customDomains = new CustomDomainReader(resolver, reader).Read(valueNode);
                    break;
                default:
                    reader.IgnoredKey(key, resolver.LocationOf(keyNode), key, KnownKeys.Root);
                    break;
            }
        }

        if (service is null && !root.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value == "service"))
        {
            reader.Error(resolver.LocationOf(root), "'service' is required: the name of the app, for example 'service: my-app'");
        }

        // CloudFormation references in `environment` may name any bucket, including those only an s3 event implies,
        // so the functions' events are read once (quietly) before the values that may refer to them.
        var resources = new ResourcesReader(reader);
        if (resourcesEntry is not null)
        {
            resources.Read(resourcesEntry.Value, service, resolver.SelectedStage, resolver.SelectedRegion);
        }

        var queues = QueueResourceReader.ResolveDeadLetters(reader, resources.Queues);
        var preview = new ValueReader(new DiagnosticBag());
        var (_, previewEvents, _) = ReadFunctions(functionsEntry, ReadProvider(providerEntry, preview), preview);
        var (previewBuckets, _) = CollectResources(resources, previewEvents);
        reader.Intrinsics = new IntrinsicFunctions(reader, new IntrinsicScope(
            service ?? "service", resolver.SelectedStage, resolver.SelectedRegion, previewBuckets,
            previewBuckets.Where(b => !resources.Buckets.Any(declared => declared.Bucket == b)).Select(b => b.Name).ToHashSet(StringComparer.Ordinal),
            functionsEntry?.Value is MappingValue declaredFunctions ? [.. declaredFunctions.Entries.Select(f => f.Key)] : [],
            resources.CloudFormationTypes,
            [.. resources.Tables.Select(t => t.Table)])
        {
            Queues = queues,
            Databases = [.. resources.Databases.Select(d => d.Database)],
        });

        var provider = ReadProvider(providerEntry, reader);
        var (functions, bucketEvents, queueEvents) = ReadFunctions(functionsEntry, provider, reader);
        foreach (var (queueEvent, location) in queueEvents.Where(e => !queues.Any(q => q.Name == e.Event.Queue)))
        {
            reader.Error(location, $"the sqs event's queue '{queueEvent.Queue}' is not a queue of this app; declare it under resources.Resources with Type: {ResourcesReader.QueueType} (a function reads only its own app's queues)");
        }

        functions = CorsRoutes.Apply(functions, httpApiCors);
        var (buckets, databases) = CollectResources(resources, bucketEvents);
        functions = [.. functions.Select(function => function.BucketEvents.Count == 0 ? function : function with
        {
            BucketEvents = [.. function.BucketEvents.Select(e => e with { Bucket = BucketNameOf(e.Bucket, buckets) })],
        })];
        foreach (var (name, value) in options.ParamOverrides)
        {
            parameters[name] = value;
        }

        return service is null || reader.Diagnostics.HasErrors
            ? null
            : new ServiceManifest
            {
                Service = service, Provider = provider, Functions = functions, Params = parameters, PackagePatterns = patterns,
                Buckets = buckets, Databases = databases, Build = build, Queues = queues, Tables = [.. resources.Tables.Select(t => t.Table)],
                CustomDomains = customDomains,
            };
    }

    private string? ReadService(MappingEntry entry)
    {
        var value = entry.Value;
        if (value is MappingValue oldForm)
        {
            // Serverless v1 allowed `service: { name: x }`.
            value = new ScalarValue("", IsNull: true, oldForm.Location);
            foreach (var field in oldForm.Entries)
            {
                if (field.Key == "name")
                {
                    value = field.Value;
                }
                else
                {
                    reader.IgnoredKey(field, $"service.{field.Key}", KnownKeys.Root);
                }
            }
        }

        var name = reader.String(value, "service");
        if (name is null)
        {
            if (value is not FailedValue)
            {
                reader.Error(value.Location, "service must be the name of the app, for example 'service: my-app'");
            }

            return null;
        }

        if (!NamingRules.IsValidServiceName(name))
        {
            reader.Error(value.Location, $"service name {NamingRules.Quote(name)} is invalid; service names are {NamingRules.ServiceNameRule}");
            return null;
        }

        if (NamingRules.ReservedServiceNames.Contains(name))
        {
            var reserved = string.Join(", ", NamingRules.ReservedServiceNames.Order(StringComparer.Ordinal));
            reader.Error(value.Location, $"service name {NamingRules.Quote(name)} is reserved by Ferry ({reserved}); choose another name");
            return null;
        }

        return name;
    }

    private ProviderSettings ReadProvider(MappingEntry? entry, ValueReader reader)
    {
        var settings = new ProviderSettings { Stage = resolver.SelectedStage, Region = resolver.SelectedRegion };
        SourceLocation? stageLocation = null;
        SourceLocation? regionLocation = null;
        foreach (var field in entry is null ? [] : reader.Entries(entry.Value, "provider"))
        {
            var path = $"provider.{field.Key}";
            switch (field.Key)
            {
                case "name":
                    var name = reader.String(field.Value, path);
                    if (name is not null && !NamingRules.IsValidProviderName(name))
                    {
                        reader.Error(field.Value.Location, $"provider.name must be 'aws' or 'ferry', got {NamingRules.Quote(name)}");
                    }

                    settings = settings with { Name = name ?? settings.Name };
                    break;
                case "runtime":
                    var runtime = reader.String(field.Value, path);
                    if (runtime is not null && !RuntimeCatalog.IsKnown(runtime))
                    {
                        reader.Error(field.Value.Location, $"provider.runtime {NamingRules.Quote(runtime)} is not supported; supported runtimes: {RuntimeCatalog.Supported}");
                    }

                    settings = settings with { Runtime = runtime };
                    break;
                case "stage":
                    stageLocation = field.Value.Location;
                    break;
                case "region":
                    regionLocation = field.Value.Location;
                    break;
                case "memorySize":
                    settings = settings with
                    {
                        MemorySize = reader.Integer(field.Value, path, NamingRules.MemorySizeRule, NamingRules.IsValidMemorySize) ?? settings.MemorySize,
                    };
                    break;
                case "timeout":
                    settings = settings with
                    {
                        Timeout = reader.Integer(field.Value, path, NamingRules.TimeoutRule, NamingRules.IsValidTimeout) ?? settings.Timeout,
                    };
                    break;
                case "environment":
                    settings = settings with { Environment = reader.Environment(field.Value, path) };
                    break;
                case "httpApi":
                    httpApiCors = new ApiGatewayReader(reader).ReadHttpApi(field.Value, path);
                    break;
                case "apiGateway":
                    settings = settings with { ApiKeys = [.. settings.ApiKeys, .. new ApiGatewayReader(reader).ReadApiGateway(field.Value, path)] };
                    break;
                case "apiKeys":
                    settings = settings with { ApiKeys = [.. settings.ApiKeys, .. new ApiGatewayReader(reader).ReadProviderApiKeys(field.Value, path)] };
                    break;
                default:
                    reader.IgnoredKey(field, path, KnownKeys.Provider);
                    break;
            }
        }

        CheckStage(reader, settings.Stage, options.Stage is null ? stageLocation : null, "stage");
        CheckStage(reader, settings.Region, options.Region is null ? regionLocation : null, "region");
        return settings;
    }

    private static void CheckStage(ValueReader reader, string value, SourceLocation? location, string kind)
    {
        if (NamingRules.IsValidStage(value))
        {
            return;
        }

        var source = location is null ? $"--{kind}" : $"provider.{kind}";
        reader.Diagnostics.Error(location, $"{source} {NamingRules.Quote(value)} is invalid; a {kind} is {NamingRules.StageRule}");
    }

    /// <summary>
    /// The declared buckets and databases. An s3 event names its bucket; a bucket it names that is not declared is
    /// created for it (as the Serverless Framework does), unless the event says the bucket is <c>existing</c>.
    /// </summary>
    private static (List<BucketDeclaration>, List<DatabaseDeclaration>) CollectResources(
        ResourcesReader resources, IReadOnlyList<(string Function, BucketEvent Event, bool Existing, SourceLocation Location)> bucketEvents)
    {
        var buckets = resources.Buckets.Select(b => b.Bucket).ToList();
        foreach (var (_, bucketEvent, existing, _) in bucketEvents)
        {
            if (!existing && !buckets.Any(b => b.Name == bucketEvent.Bucket || b.LogicalName == bucketEvent.Bucket))
            {
                buckets.Add(new BucketDeclaration(bucketEvent.Bucket, bucketEvent.Bucket));
            }
        }

        return (buckets, resources.Databases.Select(d => d.Database).ToList());
    }

    /// <summary>An s3 event's bucket may be a bucket's name or the name it is declared under in serverless.yml.</summary>
    private static string BucketNameOf(string reference, IReadOnlyList<BucketDeclaration> buckets) =>
        buckets.FirstOrDefault(b => b.Name == reference)?.Name ?? buckets.FirstOrDefault(b => b.LogicalName == reference)?.Name ?? reference;

    private static (List<FunctionManifest>, List<(string, BucketEvent, bool, SourceLocation)>, List<(QueueEvent Event, SourceLocation Location)>) ReadFunctions(
        MappingEntry? entry, ProviderSettings provider, ValueReader reader)
    {
        var functions = new List<FunctionManifest>();
        if (entry is null)
        {
            return (functions, [], []);
        }

        var functionReader = new FunctionReader(reader, provider);
        var routeOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var declaration in reader.Entries(entry.Value, "functions", "a mapping of function names to their settings"))
        {
            if (functionReader.Read(declaration) is not { } read)
            {
                continue;
            }

            var (function, routes) = read;

            functions.Add(function);
            foreach (var (route, location) in routes)
            {
                var key = RouteSyntax.ConflictKey(route.Method, route.Path);
                if (routeOwners.TryAdd(key, function.Name))
                {
                    continue;
                }

                var owner = routeOwners[key] == function.Name ? "twice by this function" : $"by function '{routeOwners[key]}'";
                reader.Error(location, $"route {route.Method} {route.Path} of function '{function.Name}' is already declared {owner}");
            }
        }

        return (functions, functionReader.BucketEventDeclarations, functionReader.QueueEventDeclarations);
    }

    /// <summary>
    /// <c>params.default</c>, then the selected stage's block over it. Other stages' blocks are not resolved, so a
    /// <c>${env:…}</c> that only production needs doesn't have to be set for a dev deploy.
    /// </summary>
    private Dictionary<string, string> ReadParams(YamlNode node)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var blocks = node as YamlMappingNode;
        var computedBlocks = blocks is null ? reader.Entries(resolver.Resolve(node), "params", "a mapping of stage names (or 'default') to parameters") : [];
        foreach (var blockName in new[] { "default", resolver.SelectedStage })
        {
            var block = blocks is not null
                ? FindChild(blocks, blockName) is { } child ? resolver.Resolve(child) : null
                : computedBlocks.FirstOrDefault(entry => entry.Key == blockName)?.Value;
            foreach (var parameter in block is null ? [] : reader.Entries(block, $"params.{blockName}"))
            {
                if (parameter.Value is ScalarValue scalar)
                {
                    parameters[parameter.Key] = scalar.IsNull ? "" : scalar.Text;
                }
                else if (parameter.Value is not FailedValue)
                {
                    reader.Error(parameter.Value.Location,
                        $"params.{blockName}.{parameter.Key} must be a string, number or boolean, got {parameter.Value.Describe()}");
                }
            }
        }

        return parameters;
    }

    private static YamlNode? FindChild(YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: var name } && name == key).Value;

    private List<string> ReadPackage(MappingEntry entry)
    {
        var patterns = new List<string>();
        foreach (var field in reader.Entries(entry.Value, "package"))
        {
            if (field.Key == "patterns")
            {
                patterns.AddRange(reader.Strings(field.Value, "package.patterns"));
            }
            else
            {
                reader.IgnoredKey(field, $"package.{field.Key}", KnownKeys.Package);
            }
        }

        return patterns;
    }
}
