using Ferry.Manifest.Frameworks;
using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>Reads one entry of <c>functions:</c>, applying the provider's runtime, sizes and environment.</summary>
internal sealed class FunctionReader(ValueReader reader, ProviderSettings provider)
{
    private readonly EventReader events = new(reader);
    private readonly ImageReader images = new(reader);

    /// <summary>The function and where each of its routes was declared; null if it has errors.</summary>
    public (FunctionManifest Function, IReadOnlyList<(HttpRoute Route, SourceLocation Location)> Routes)? Read(MappingEntry declaration)
    {
        var name = declaration.Key;
        var path = $"functions.{name}";
        var valid = true;
        if (!NamingRules.IsValidFunctionName(name))
        {
            reader.Error(declaration.KeyLocation, $"function name {NamingRules.Quote(name)} is invalid; function names are {NamingRules.FunctionNameRule}");
            valid = false;
        }

        if (declaration.Value is not MappingValue mapping)
        {
            if (declaration.Value is not FailedValue)
            {
                reader.Error(declaration.Value.Location, $"{path} must be a mapping with 'handler' (or 'command' for a web function), got {declaration.Value.Describe()}");
            }

            return null;
        }

        var errorsBefore = reader.Diagnostics.ErrorCount;
        ScalarValue? handler = null;
        ScalarValue? runtime = null;
        IReadOnlyList<string>? command = null;
        var hasCommand = false;
        ScalarValue? framework = null;
        var hasFramework = false;
        int? memorySize = null;
        int? timeout = null;
        var scaling = new FunctionScaling();
        var outboundNetwork = false;
        var asyncInvocation = new AsyncInvocationSettings();
        FunctionImage? image = null;
        var hasImage = false;
        var environment = new Dictionary<string, string>(provider.Environment, StringComparer.Ordinal);
        var routes = new List<(HttpRoute, SourceLocation)>();
        var schedules = new List<(ScheduleEvent Schedule, SourceLocation Location)>();
        var bucketEvents = new List<(BucketEvent Event, bool Existing, SourceLocation Location)>();
        var queueEvents = new List<(QueueEvent Event, SourceLocation Location)>();

        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            switch (entry.Key)
            {
                case "handler":
                    handler = ScalarOrNull(entry, entryPath);
                    break;
                case "runtime":
                    runtime = ScalarOrNull(entry, entryPath);
                    break;
                case "command":
                    hasCommand = entry.Value is not ScalarValue { IsNull: true };
                    command = ReadCommand(entry.Value, entryPath);
                    break;
                case "framework":
                    hasFramework = entry.Value is not ScalarValue { IsNull: true };
                    framework = ReadFramework(entry, entryPath);
                    break;
                case "image":
                    hasImage = entry.Value is not ScalarValue { IsNull: true };
                    image = images.Read(entry.Value, entryPath);
                    break;
                case "memorySize":
                    memorySize = reader.Integer(entry.Value, entryPath, NamingRules.MemorySizeRule, NamingRules.IsValidMemorySize);
                    break;
                case "timeout":
                    timeout = reader.Integer(entry.Value, entryPath, NamingRules.TimeoutRule, NamingRules.IsValidTimeout);
                    break;
                case "minInstances" or "provisionedConcurrency":
                    scaling = scaling with { MinInstances = reader.Integer(entry.Value, entryPath, "a whole number from 0 to 100", n => n is >= 0 and <= 100) ?? 0 };
                    break;
                case "maxInstances" or "reservedConcurrency":
                    scaling = scaling with { MaxInstances = reader.Integer(entry.Value, entryPath, $"a whole number from 1 to {FunctionScaling.MaxInstancesLimit}", n => n is >= 1 and <= FunctionScaling.MaxInstancesLimit) };
                    break;
                case "concurrency":
                    scaling = scaling with { Concurrency = reader.Integer(entry.Value, entryPath, "a whole number from 1 to 1000 (requests one web instance serves at once)", n => n is >= 1 and <= 1000) };
                    break;
                case "maximumRetryAttempts":
                    asyncInvocation = asyncInvocation with
                    {
                        MaximumRetryAttempts = reader.Integer(entry.Value, entryPath, "0, 1 or 2 (retries of a failed asynchronous invocation, like Lambda)", n => n is >= 0 and <= 2),
                    };
                    break;
                case "maximumEventAge":
                    asyncInvocation = asyncInvocation with
                    {
                        MaximumEventAgeSeconds = reader.Integer(entry.Value, entryPath, "a number of seconds from 60 to 21600 (like Lambda)", n => n is >= 60 and <= 21600),
                    };
                    break;
                case "keepWarm":
                    scaling = scaling with { KeepWarmSeconds = reader.Integer(entry.Value, entryPath, "a number of seconds from 1 to 86400", n => n is >= 1 and <= 86400) };
                    break;
                case "outboundNetwork":
                    if (entry.Value is ScalarValue { Text: "true" or "false" } flag)
                    {
                        outboundNetwork = flag.Text == "true";
                    }
                    else
                    {
                        reader.Error(entry.Value.Location, $"{entryPath} must be true or false, got {entry.Value.Describe()}");
                    }

                    break;
                case "environment":
                    foreach (var (key, value) in reader.Environment(entry.Value, entryPath))
                    {
                        environment[key] = value;
                    }

                    break;
                case "events":
                    var declared = events.Read(entry.Value, entryPath);
                    routes.AddRange(declared.Routes);
                    schedules.AddRange(declared.Schedules);
                    bucketEvents.AddRange(declared.BucketEvents);
                    queueEvents.AddRange(declared.QueueEvents);
                    break;
                default:
                    reader.IgnoredKey(entry, entryPath, KnownKeys.Function);
                    break;
            }
        }

        var effectiveRuntime = hasImage
            ? ResolveImageRuntime(path, declaration, runtime, hasCommand || hasFramework)
            : ResolveRuntime(path, declaration, runtime, hasCommand || hasFramework);
        if (effectiveRuntime is null)
        {
            return null;
        }

        var isWeb = effectiveRuntime == RuntimeCatalog.Web;
        valid &= isWeb ? CheckWebFunction(path, hasCommand, framework, handler) : CheckEventFunction(path, declaration, effectiveRuntime, handler);
        if (isWeb)
        {
            foreach (var location in schedules.Select(s => s.Location).Concat(bucketEvents.Select(b => b.Location)).Concat(queueEvents.Select(q => q.Location)))
            {
                reader.Error(location, $"{path} is a web function, which is only reached over HTTP; schedule, s3 and sqs events need an event function (with a 'handler')");
            }
        }

        if (!isWeb && scaling.Concurrency is > 1)
        {
            reader.Error(declaration.KeyLocation, $"{path}.concurrency applies to web functions; an event function serves one request per instance, like Lambda");
        }

        if (scaling.MaxInstances is { } max && scaling.MinInstances > max)
        {
            reader.Error(declaration.KeyLocation, $"{path}.minInstances ({scaling.MinInstances}) is larger than maxInstances ({max})");
        }

        if (!valid || reader.Diagnostics.ErrorCount > errorsBefore)
        {
            return null;
        }

        var function = new FunctionManifest
        {
            Name = name,
            Handler = isWeb ? null : handler?.Text,
            Runtime = effectiveRuntime,
            Command = isWeb ? command : null,
            Framework = isWeb ? framework?.Text : null,
            MemorySize = memorySize ?? provider.MemorySize,
            Timeout = timeout ?? provider.Timeout,
            Environment = environment,
            Routes = [.. routes.Select(route => route.Item1)],
            Schedules = [.. schedules.Select(schedule => schedule.Schedule)],
            BucketEvents = [.. bucketEvents.Select(b => b.Event)],
            QueueEvents = [.. queueEvents.Select(q => q.Event)],
            Scaling = scaling,
            OutboundNetwork = outboundNetwork,
            AsyncInvocation = asyncInvocation,
            Image = image,
            Location = declaration.KeyLocation,
            HandlerLocation = handler?.Location ?? declaration.KeyLocation,
        };
        BucketEventDeclarations.AddRange(bucketEvents.Select(b => (function.Name, b.Event, b.Existing, b.Location)));
        QueueEventDeclarations.AddRange(queueEvents.Select(q => (q.Event, q.Location)));
        return (function, routes);
    }

    /// <summary>Every s3 event read so far, with whether its bucket is declared elsewhere and where it was written.</summary>
    public List<(string Function, BucketEvent Event, bool Existing, SourceLocation Location)> BucketEventDeclarations { get; } = [];

    /// <summary>Every sqs event read so far, with where it was written.</summary>
    public List<(QueueEvent Event, SourceLocation Location)> QueueEventDeclarations { get; } = [];

    private ScalarValue? ScalarOrNull(MappingEntry entry, string path) =>
        reader.String(entry.Value, path) is not null ? (ScalarValue)entry.Value : null;

    /// <summary>
    /// <c>runtime: web</c>, or a <c>command</c> without a runtime of its own, makes a web function; otherwise the
    /// function's runtime, else the provider's.
    /// </summary>
    private string? ResolveRuntime(string path, MappingEntry declaration, ScalarValue? runtime, bool hasCommand)
    {
        if (runtime is not null)
        {
            if (!RuntimeCatalog.IsKnown(runtime.Text))
            {
                reader.Error(runtime.Location, $"{path}.runtime {NamingRules.Quote(runtime.Text)} is not supported; supported runtimes: {RuntimeCatalog.Supported}");
                return null;
            }

            if (hasCommand && runtime.Text != RuntimeCatalog.Web)
            {
                reader.Error(runtime.Location, $"{path} has a 'command' or 'framework', which are only for web functions; set runtime: web or remove them");
                return null;
            }

            return runtime.Text;
        }

        if (hasCommand)
        {
            return RuntimeCatalog.Web;
        }

        if (provider.Runtime is null)
        {
            reader.Error(declaration.KeyLocation, $"{path} has no runtime; set provider.runtime or {path}.runtime (supported: {RuntimeCatalog.Supported})");
            return null;
        }

        // An unknown provider.runtime is reported once, where it is declared.
        return RuntimeCatalog.IsKnown(provider.Runtime) ? provider.Runtime : null;
    }

    /// <summary>
    /// An image function runs the image's own runtime loop, so it is a <c>provided</c> event function whatever
    /// <c>provider.runtime</c> says; only a <c>provided*</c> runtime of its own may be written beside the image.
    /// </summary>
    private string? ResolveImageRuntime(string path, MappingEntry declaration, ScalarValue? runtime, bool hasCommand)
    {
        if (hasCommand)
        {
            reader.Error(declaration.KeyLocation,
                $"{path} has both 'image' and 'command'; an image function runs the image's entry point (override it with {path}.image.entryPoint and image.command)");
            return null;
        }

        if (runtime is not null && !RuntimeCatalog.IsProvided(runtime.Text))
        {
            reader.Error(runtime.Location,
                $"{path}.runtime {NamingRules.Quote(runtime.Text)} can't run an image; an image function brings its own runtime loop (leave runtime out, or write runtime: provided)");
            return null;
        }

        return runtime?.Text ?? ImageRules.Runtime;
    }

    /// <summary>
    /// A web function without a <c>command</c> is started by a framework preset: the named <c>framework</c>, or the
    /// one <c>ferry deploy</c> detects from the app's files. Both at once would leave two ways to start it.
    /// </summary>
    private bool CheckWebFunction(string path, bool hasCommand, ScalarValue? framework, ScalarValue? handler)
    {
        if (hasCommand && framework is not null)
        {
            reader.Error(framework.Location, $"{path} has both 'command' and 'framework'; the framework preset supplies the command, so remove one of them");
            return false;
        }

        if (handler is not null)
        {
            reader.Warning(handler.Location, $"{path}.handler is ignored for web functions, which run their 'command'");
        }

        return true;
    }

    private bool CheckEventFunction(string path, MappingEntry declaration, string runtime, ScalarValue? handler)
    {
        if (RuntimeCatalog.IsProvided(runtime))
        {
            return true;
        }

        if (handler is null)
        {
            reader.Error(declaration.KeyLocation, $"{path} needs a 'handler' such as 'handler.hello' ({HandlerSyntax.Rule})");
            return false;
        }

        if (!HandlerSyntax.IsValid(handler.Text))
        {
            reader.Error(handler.Location, $"{path}.handler must be {HandlerSyntax.Rule}, got {handler.Describe()}");
            return false;
        }

        return true;
    }

    private ScalarValue? ReadFramework(MappingEntry entry, string path)
    {
        if (reader.String(entry.Value, path) is null)
        {
            return null;
        }

        var value = (ScalarValue)entry.Value;
        if (!FrameworkNames.IsKnown(value.Text))
        {
            reader.Error(value.Location, $"{path} {NamingRules.Quote(value.Text)} is not a known framework; known: {FrameworkNames.Supported} (or leave it out to detect it, or write a 'command')");
            return null;
        }

        return value;
    }

    /// <summary>A command string is split like a shell would; a list is taken word for word.</summary>
    private IReadOnlyList<string>? ReadCommand(ValueNode value, string path)
    {
        List<string>? words;
        switch (value)
        {
            case ScalarValue { IsNull: true } or FailedValue:
                return null;
            case ScalarValue scalar:
                words = CommandLine.TrySplit(scalar.Text, out var problem)?.ToList();
                if (words is null)
                {
                    reader.Error(scalar.Location, $"{path} {problem}: {scalar.Describe()}");
                    return null;
                }

                break;
            case SequenceValue:
                words = reader.Strings(value, path);
                break;
            default:
                reader.Error(value.Location, $"{path} must be a string or a list of strings, got {value.Describe()}");
                return null;
        }

        if (words.Count == 0)
        {
            reader.Error(value.Location, $"{path} must not be empty; give the program to run, for example 'node server.js'");
            return null;
        }

        return words;
    }
}
