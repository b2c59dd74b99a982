using Ferry.Manifest.Rules;

namespace Ferry.Manifest;

/// <summary>
/// Checks a <see cref="ServiceManifest"/> that arrived as JSON (the server can't trust the CLI): the same naming,
/// runtime, size and route rules the YAML loader applies, plus things JSON can get wrong such as nulls in lists.
/// </summary>
public static class ServiceManifestValidator
{
    /// <summary>All problems found; empty when the manifest is valid. Diagnostics have no location.</summary>
    public static IReadOnlyList<ManifestDiagnostic> Validate(ServiceManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var problems = new List<ManifestDiagnostic>();
        void Problem(string message) => problems.Add(new ManifestDiagnostic(null, message));

        CheckService(manifest.Service, Problem);
        CheckProvider(manifest.Provider, Problem);

        var functionNames = new HashSet<string>(StringComparer.Ordinal);
        var routeOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var functions = manifest.Functions ?? [];
        for (var i = 0; i < functions.Count; i++)
        {
            if (functions[i] is not { } function)
            {
                Problem($"functions[{i}] is null");
                continue;
            }

            var path = $"functions.{function.Name}";
            if (function.Name is null || !NamingRules.IsValidFunctionName(function.Name))
            {
                Problem($"functions[{i}] has an invalid name {Show(function.Name)}; function names are {NamingRules.FunctionNameRule}");
                path = $"functions[{i}]";
            }
            else if (!functionNames.Add(function.Name))
            {
                Problem($"function '{function.Name}' is declared more than once");
            }

            CheckFunction(function, path, Problem);
            CheckRoutes(function, path, routeOwners, Problem);
            CheckSchedules(function, path, Problem);
        }

        CheckCustomDomains(manifest.CustomDomains ?? [], Problem);
        CheckQueues(manifest, Problem);

        foreach (var (key, value) in manifest.Params ?? new Dictionary<string, string>())
        {
            if (value is null)
            {
                Problem($"params.{key} is null; expected a string");
            }
        }

        var patterns = manifest.PackagePatterns ?? [];
        for (var i = 0; i < patterns.Count; i++)
        {
            if (string.IsNullOrEmpty(patterns[i]))
            {
                Problem($"packagePatterns[{i}] must be a non-empty string");
            }
        }

        return problems;
    }

    private static void CheckService(string? service, Action<string> problem)
    {
        if (service is null || !NamingRules.IsValidServiceName(service))
        {
            problem($"service name {Show(service)} is invalid; service names are {NamingRules.ServiceNameRule}");
        }
        else if (NamingRules.ReservedServiceNames.Contains(service))
        {
            problem($"service name {Show(service)} is reserved by Ferry");
        }
    }

    private static void CheckProvider(ProviderSettings? provider, Action<string> problem)
    {
        if (provider is null)
        {
            problem("provider is missing");
            return;
        }

        if (provider.Name is null || !NamingRules.IsValidProviderName(provider.Name))
        {
            problem($"provider.name must be 'aws' or 'ferry', got {Show(provider.Name)}");
        }

        if (provider.Runtime is not null && !RuntimeCatalog.IsKnown(provider.Runtime))
        {
            problem($"provider.runtime {Show(provider.Runtime)} is not supported; supported runtimes: {RuntimeCatalog.Supported}");
        }

        if (provider.Stage is null || !NamingRules.IsValidStage(provider.Stage))
        {
            problem($"provider.stage {Show(provider.Stage)} is invalid; a stage is {NamingRules.StageRule}");
        }

        if (provider.Region is null || !NamingRules.IsValidStage(provider.Region))
        {
            problem($"provider.region {Show(provider.Region)} is invalid; a region is {NamingRules.StageRule}");
        }

        CheckSizes(provider.MemorySize, provider.Timeout, "provider", problem);
        CheckEnvironment(provider.Environment, "provider.environment", problem);
        var keys = provider.ApiKeys ?? [];
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i]?.Name is not { } name || !ApiKeyRules.IsValidName(name))
            {
                problem($"provider.apiKeys[{i}].name {Show(keys[i]?.Name)} is invalid; API key names are {ApiKeyRules.NameRule}");
            }
            else if (keys[i].Value is { } value && ApiKeyRules.FindValueProblem(value) is { } valueProblem)
            {
                problem($"provider.apiKeys[{i}].value {valueProblem}");
            }
        }
    }

    /// <summary>At most this many custom domains per app stage.</summary>
    public const int MaxCustomDomains = 20;

    private static void CheckCustomDomains(IReadOnlyList<CustomDomainDeclaration> domains, Action<string> problem)
    {
        if (domains.Count > MaxCustomDomains)
        {
            problem($"custom.customDomains has {domains.Count} domains; an app stage may have at most {MaxCustomDomains}");
            return;
        }

        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < domains.Count; i++)
        {
            var key = domains[i]?.Key ?? $"customDomains[{i}]";
            if (domains[i] is not { } domain)
            {
                problem($"{key} is null");
            }
            else if (DomainNameRules.FindProblem(domain.DomainName) is { } hostProblem)
            {
                problem($"{key}: domain name {Show(domain.DomainName)} {hostProblem}; expected {DomainNameRules.Rule}");
            }
            else if (DomainNameRules.NormalizeBasePath(domain.BasePath) != domain.BasePath)
            {
                problem($"{key}: base path {Show(domain.BasePath)} is invalid; expected {DomainNameRules.BasePathRule}");
            }
            else if (!seen.Add((domain.DomainName, domain.BasePath)))
            {
                problem($"{key}: {domain.DomainName}{domain.BasePath} is declared twice");
            }
        }
    }

    /// <summary>The most queues an app stage may declare.</summary>
    public const int MaxQueues = 100;

    /// <summary>Queue names and settings in SQS's ranges, dead-letter queues and sqs events naming queues of the app.</summary>
    private static void CheckQueues(ServiceManifest manifest, Action<string> problem)
    {
        var queues = manifest.Queues ?? [];
        if (queues.Count > MaxQueues)
        {
            problem($"an app may declare at most {MaxQueues} queues, this one declares {queues.Count}");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var queue in queues)
        {
            if (queue?.Name is not { } name)
            {
                problem("queues contains a null queue or a queue without a name");
                continue;
            }

            var stem = queue.Fifo && name.EndsWith(".fifo", StringComparison.Ordinal) ? name[..^5] : name;
            if (name.Length > 80 || stem.Length == 0 || !stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                problem($"queue name {Show(name)} is invalid; queue names are 1 to 80 letters, digits, '-' or '_' (FIFO queues end with '.fifo')");
            }
            else if (!names.Add(name))
            {
                problem($"queue '{name}' is declared more than once");
            }

            if (queue.VisibilityTimeout is < 0 or > 43_200 || queue.MessageRetentionPeriod is < 60 or > 1_209_600 || queue.DelaySeconds is < 0 or > 900
                || queue.MaximumMessageSize is < 1024 or > 262_144 || queue.ReceiveMessageWaitTimeSeconds is < 0 or > 20 || queue.MaxReceiveCount is < 1 or > 1000)
            {
                problem($"queue '{name}' has a setting outside SQS's range");
            }
        }

        foreach (var queue in queues.Where(q => q?.DeadLetterQueue is not null))
        {
            if (!names.Contains(queue.DeadLetterQueue!) || queue.MaxReceiveCount is null)
            {
                problem($"queue '{queue.Name}' has the dead-letter queue {Show(queue.DeadLetterQueue)}, which is not a queue of this app (or no maxReceiveCount)");
            }
        }

        foreach (var function in (manifest.Functions ?? []).Where(f => f is not null))
        {
            foreach (var source in function.QueueEvents ?? [])
            {
                if (source is null || !names.Contains(source.Queue ?? ""))
                {
                    problem($"functions.{function.Name}: an sqs event names {Show(source?.Queue)}, which is not a queue of this app");
                }
                else if (source.BatchSize is < 1 or > 10_000 || source.MaximumBatchingWindow is < 0 or > 300)
                {
                    problem($"functions.{function.Name}: an sqs event's batchSize must be 1 to 10000 and maximumBatchingWindow 0 to 300");
                }
                else if (function.Runtime == RuntimeCatalog.Web)
                {
                    problem($"functions.{function.Name} is a web function; sqs events need an event function");
                }
            }
        }
    }

    private static void CheckFunction(FunctionManifest function, string path, Action<string> problem)
    {
        CheckSizes(function.MemorySize, function.Timeout, path, problem);
        CheckScaling(function, path, problem);
        CheckEnvironment(function.Environment, $"{path}.environment", problem);

        if (function.Runtime is null || !RuntimeCatalog.IsKnown(function.Runtime))
        {
            problem($"{path}.runtime {Show(function.Runtime)} is not supported; supported runtimes: {RuntimeCatalog.Supported}");
            return;
        }

        if (function.Runtime == RuntimeCatalog.Web)
        {
            if (function.Command is not { Count: > 0 } command || command.Any(string.IsNullOrEmpty))
            {
                problem($"{path}.command must be a non-empty list of non-empty strings for a web function"
                    + (function.Framework is null ? "" : $" (framework '{function.Framework}' is turned into a command by 'ferry deploy')"));
            }

            if (function.Handler is not null)
            {
                problem($"{path}.handler must be null for a web function");
            }

            return;
        }

        if (function.Command is not null)
        {
            problem($"{path}.command is only allowed for web functions");
        }

        if (function.Framework is not null)
        {
            problem($"{path}.framework is only allowed for web functions");
        }

        if (function.Image is not null)
        {
            CheckImage(function.Image, function.Runtime, $"{path}.image", problem);
            return;
        }

        if (RuntimeCatalog.IsProvided(function.Runtime))
        {
            return;
        }

        if (function.Handler is null || !HandlerSyntax.IsValid(function.Handler))
        {
            problem($"{path}.handler must be {HandlerSyntax.Rule}, got {Show(function.Handler)}");
        }
    }

    private static void CheckImage(FunctionImage image, string runtime, string path, Action<string> problem)
    {
        if (!RuntimeCatalog.IsProvided(runtime))
        {
            problem($"{path} needs a provided runtime (the image brings its own runtime loop), got runtime {Show(runtime)}");
        }

        if (image.Path is null || ImageRules.NormalizePath(image.Path) != image.Path)
        {
            problem($"{path}.path must be {ImageRules.PathRule}, got {Show(image.Path)}");
        }

        if (image.EntryPoint is { } entryPoint && ImageRules.FindArgumentsProblem(entryPoint, mayBeEmpty: false) is { } entryPointProblem)
        {
            problem($"{path}.entryPoint {entryPointProblem}");
        }

        if (image.Command is { } command && ImageRules.FindArgumentsProblem(command, mayBeEmpty: true) is { } commandProblem)
        {
            problem($"{path}.command {commandProblem}");
        }

        if (image.WorkingDirectory is { } directory && ImageRules.FindWorkingDirectoryProblem(directory) is { } directoryProblem)
        {
            problem($"{path}.workingDirectory {directoryProblem}, got {Show(directory)}");
        }
    }

    private static void CheckRoutes(FunctionManifest function, string path, Dictionary<string, string> routeOwners, Action<string> problem)
    {
        var routes = function.Routes ?? [];
        for (var i = 0; i < routes.Count; i++)
        {
            var routePath = $"{path}.routes[{i}]";
            if (routes[i] is not { } route)
            {
                problem($"{routePath} is null");
                continue;
            }

            var valid = true;
            if (route.Method is null || !RouteSyntax.IsNormalizedMethod(route.Method))
            {
                problem($"{routePath}.method must be an upper-case HTTP method or '*', got {Show(route.Method)}");
                valid = false;
            }

            if (route.Path is null || RouteSyntax.FindPathProblem(route.Path) is not null)
            {
                var reason = route.Path is null ? "is missing" : RouteSyntax.FindPathProblem(route.Path);
                problem($"{routePath}.path {reason}, got {Show(route.Path)}");
                valid = false;
            }

            if (route.PayloadFormat is not (HttpRoute.PayloadV1 or HttpRoute.PayloadV2))
            {
                problem($"{routePath}.payloadFormat must be '{HttpRoute.PayloadV1}' or '{HttpRoute.PayloadV2}', got {Show(route.PayloadFormat)}");
            }

            if (valid && !routeOwners.TryAdd(RouteSyntax.ConflictKey(route.Method!, route.Path!), function.Name ?? path))
            {
                var owner = routeOwners[RouteSyntax.ConflictKey(route.Method!, route.Path!)];
                problem($"route {route.Method} {route.Path} of function '{function.Name}' is already declared by function '{owner}'");
            }
        }
    }

    private static void CheckSchedules(FunctionManifest function, string path, Action<string> problem)
    {
        var schedules = function.Schedules ?? [];
        if (schedules.Count > 0 && function.Runtime == RuntimeCatalog.Web)
        {
            problem($"{path} is a web function; schedules need an event function");
        }

        for (var i = 0; i < schedules.Count; i++)
        {
            var schedulePath = $"{path}.schedules[{i}]";
            if (schedules[i] is not { } schedule)
            {
                problem($"{schedulePath} is null");
                continue;
            }

            if (!ScheduleExpression.TryParse(schedule.Expression, out _, out var reason))
            {
                problem($"{schedulePath}.expression {reason}");
            }

            if (schedule.Input is not null && !IsJson(schedule.Input))
            {
                problem($"{schedulePath}.input must be a JSON document");
            }
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static void CheckSizes(int memorySize, int timeout, string path, Action<string> problem)
    {
        if (!NamingRules.IsValidMemorySize(memorySize))
        {
            problem($"{path}.memorySize must be {NamingRules.MemorySizeRule}, got {memorySize}");
        }

        if (!NamingRules.IsValidTimeout(timeout))
        {
            problem($"{path}.timeout must be {NamingRules.TimeoutRule}, got {timeout}");
        }
    }

    private static void CheckEnvironment(IReadOnlyDictionary<string, string>? environment, string path, Action<string> problem)
    {
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            if (!NamingRules.IsValidEnvironmentName(name))
            {
                problem($"{path} has an invalid variable name {Show(name)}; names are {NamingRules.EnvironmentNameRule}");
            }

            if (value is null)
            {
                problem($"{path}.{name} is null; expected a string");
            }
        }
    }

    private static string Show(string? value) => value is null ? "nothing (null)" : NamingRules.Quote(value);

    private static void CheckScaling(FunctionManifest function, string path, Action<string> problem)
    {
        var scaling = function.Scaling ?? new FunctionScaling();
        if (scaling.MinInstances is < 0 or > 100)
        {
            problem($"{path}.minInstances must be from 0 to 100, got {scaling.MinInstances}");
        }

        if (scaling.MaxInstances is < 1 or > FunctionScaling.MaxInstancesLimit)
        {
            problem($"{path}.maxInstances must be from 1 to {FunctionScaling.MaxInstancesLimit}, got {scaling.MaxInstances}");
        }

        if (scaling.MaxInstances is { } max && scaling.MinInstances > max)
        {
            problem($"{path}.minInstances ({scaling.MinInstances}) is larger than maxInstances ({max})");
        }

        if (scaling.Concurrency is < 1 or > 1000 || (function.Kind == FunctionKind.Event && scaling.Concurrency is > 1))
        {
            problem($"{path}.concurrency must be from 1 to 1000, and 1 for event functions; got {scaling.Concurrency}");
        }

        if (scaling.KeepWarmSeconds is < 1 or > 86400)
        {
            problem($"{path}.keepWarm must be from 1 to 86400 seconds, got {scaling.KeepWarmSeconds}");
        }
    }
}
