using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime;

/// <summary>
/// What an app stage's resources (buckets, databases) give each of its functions: environment variables, host
/// services to reach and folders to write. Environment values may name a service's address with the placeholders
/// <c>${ferry:SERVICE:host}</c> and <c>${ferry:SERVICE:port}</c>, because where a service is depends on the
/// instance: inside a private network it is a bridge on <c>127.0.0.1:PortInSandbox</c>, with the host's network it
/// is the service's own TCP address.
/// </summary>
public sealed partial record FunctionResources
{
    public static readonly FunctionResources None = new();

    /// <summary>Variables every function of the app stage gets (the function's own variables override them).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ResourceService> Services { get; init; } = [];

    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];

    /// <summary>The environment with every placeholder replaced by the address the instance sees.</summary>
    /// <param name="privateNetwork">Whether the instance reaches services through bridges.</param>
    /// <exception cref="InvalidOperationException">A placeholder names a service that is not in <see cref="Services"/>.</exception>
    public IReadOnlyDictionary<string, string> ResolveEnvironment(bool privateNetwork)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Environment)
        {
            resolved[name] = Placeholder().Replace(value, match =>
            {
                var service = Services.FirstOrDefault(s => s.Name == match.Groups["service"].Value)
                    ?? throw new InvalidOperationException($"environment variable {name} names the unknown resource service '{match.Groups["service"].Value}'");
                return match.Groups["part"].Value == "host"
                    ? privateNetwork ? "127.0.0.1" : service.HostTcpHost
                    : (privateNetwork ? service.PortInSandbox : service.HostTcpPort).ToString(CultureInfo.InvariantCulture);
            });
        }

        return resolved;
    }

    /// <summary>
    /// <paramref name="value"/> with the placeholders of <see cref="Services"/> replaced (a function's own variables,
    /// such as a queue URL), and each <c>${ferry:env:NAME}</c> replaced by the resolved value of the resources'
    /// variable NAME (a database URL, which is not stored with the function's settings because it may hold a
    /// password). Placeholders of other services and variables no resource provides are left as written
    /// (<see cref="UnknownVariables"/> finds those before a deploy).
    /// </summary>
    public string ResolveValue(string value, bool privateNetwork)
    {
        if (!value.Contains("${ferry:", StringComparison.Ordinal))
        {
            return value;
        }

        value = VariableReference().Replace(value, match =>
            Environment.TryGetValue(match.Groups["name"].Value, out var provided) ? ResolveServices(provided, privateNetwork) : match.Value);
        return ResolveServices(value, privateNetwork);
    }

    /// <summary>The variables <c>${ferry:env:NAME}</c> in <paramref name="value"/> names that no resource provides.</summary>
    public IEnumerable<string> UnknownVariables(string value) =>
        VariableReference().Matches(value).Select(m => m.Groups["name"].Value).Where(name => !Environment.ContainsKey(name)).Distinct(StringComparer.Ordinal);

    private string ResolveServices(string value, bool privateNetwork) => !value.Contains("${ferry:", StringComparison.Ordinal) ? value : Placeholder().Replace(value, match =>
        Services.FirstOrDefault(s => s.Name == match.Groups["service"].Value) is not { } service ? match.Value
        : match.Groups["part"].Value == "host" ? privateNetwork ? "127.0.0.1" : service.HostTcpHost
        : (privateNetwork ? service.PortInSandbox : service.HostTcpPort).ToString(CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\$\{ferry:env:(?<name>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex VariableReference();

    /// <summary>The bridges that make <see cref="Services"/> reachable from a private network.</summary>
    public IEnumerable<HostServiceBridge> Bridges() => Services.Select(s => new HostServiceBridge(s.PortInSandbox, s.HostSocketPath));

    [GeneratedRegex(@"\$\{ferry:(?<service>[a-z0-9-]+):(?<part>host|port)\}")]
    private static partial Regex Placeholder();
}

/// <summary>
/// A host service functions use (the bucket endpoint, a PostgreSQL server): reachable on the host's UNIX socket
/// <paramref name="HostSocketPath"/> (bridged into private networks at <c>127.0.0.1:PortInSandbox</c>) and at
/// <paramref name="HostTcpHost"/>:<paramref name="HostTcpPort"/> for instances on the host's network.
/// </summary>
public sealed record ResourceService(string Name, int PortInSandbox, string HostSocketPath, string HostTcpHost, int HostTcpPort);
