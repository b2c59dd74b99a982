using System.Collections.Frozen;
using Ferry.Manifest;

namespace Ferry.Gateway.Routing;

/// <summary>A custom domain (host, and a base path on it) bound to one app stage of one tenant.</summary>
/// <param name="Host">A lowercase DNS name, or <c>*.parent</c> for every name one label below <c>parent</c>.</param>
/// <param name="BasePath"><c>""</c> for the whole host, else <c>/a/b</c> (see <see cref="DomainNameRules.NormalizeBasePath"/>).</param>
public sealed record DomainBinding(string Host, string BasePath, string Tenant, string Service, string Stage, string Region);

/// <summary>Where a request to a bound host goes: its binding, and the path the app sees (after the base path).</summary>
/// <param name="RemainingPath">URI-escaped, starting with <c>/</c>, like <see cref="GatewayAddress.RemainingPath"/>.</param>
public sealed record HostRouteMatch(DomainBinding Binding, string RemainingPath)
{
    /// <summary>The address the gateway serves: the app stage, the path after the base path, and the base path as the public prefix.</summary>
    public GatewayAddress ToAddress() => new(Binding.Service, Binding.Stage, Binding.Region, RemainingPath) { DomainBasePath = Binding.BasePath };
}

/// <summary>
/// Custom domains by Host header, immutable once built (the server swaps a new table in when bindings change, so
/// requests read it without locks). An exact host beats a wildcard; on a host, the longest base path that is a whole
/// prefix of the request path wins (<c>/v1</c> matches <c>/v1</c> and <c>/v1/users</c>, not <c>/v10</c>).
/// Host names compare case-insensitively and a trailing dot (<c>api.example.com.</c>) is ignored.
/// </summary>
public sealed class HostRouteTable
{
    private readonly FrozenDictionary<string, DomainBinding[]> _exact;
    private readonly FrozenDictionary<string, DomainBinding[]> _wildcards;
    private readonly FrozenDictionary<string, DomainBinding[]>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly FrozenDictionary<string, DomainBinding[]>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;

    private HostRouteTable(FrozenDictionary<string, DomainBinding[]> exact, FrozenDictionary<string, DomainBinding[]> wildcards, int count)
    {
        _exact = exact;
        _wildcards = wildcards;
        _exactLookup = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardLookup = wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = count;
    }

    public static HostRouteTable Empty { get; } = Build([]);

    /// <summary>How many bindings the table holds.</summary>
    public int Count { get; }

    /// <exception cref="ArgumentException">A host or base path is not valid, or a host and base path are bound twice.</exception>
    public static HostRouteTable Build(IEnumerable<DomainBinding> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        var exact = new Dictionary<string, List<DomainBinding>>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new Dictionary<string, List<DomainBinding>>(StringComparer.OrdinalIgnoreCase);
        var count = 0;
        foreach (var binding in bindings)
        {
            if (DomainNameRules.FindProblem(binding.Host) is { } problem)
            {
                throw new ArgumentException($"Host '{binding.Host}' {problem}", nameof(bindings));
            }

            if (DomainNameRules.NormalizeBasePath(binding.BasePath) != binding.BasePath)
            {
                throw new ArgumentException($"Base path '{binding.BasePath}' of host '{binding.Host}' is not in its normal form; expected {DomainNameRules.BasePathRule}", nameof(bindings));
            }

            var (key, target) = DomainNameRules.IsWildcard(binding.Host)
                ? (binding.Host[DomainNameRules.WildcardPrefix.Length..], wildcards)
                : (binding.Host, exact);
            if (!target.TryGetValue(key, out var onHost))
            {
                target[key] = onHost = [];
            }

            if (onHost.Any(b => b.BasePath == binding.BasePath))
            {
                throw new ArgumentException($"Host '{binding.Host}' base path '{binding.BasePath}' is bound twice", nameof(bindings));
            }

            onHost.Add(binding);
            count++;
        }

        return new HostRouteTable(Freeze(exact), Freeze(wildcards), count);
    }

    private static FrozenDictionary<string, DomainBinding[]> Freeze(Dictionary<string, List<DomainBinding>> byHost) =>
        byHost.ToFrozenDictionary(
            entry => entry.Key,
            entry => entry.Value.OrderByDescending(b => b.BasePath.Length).ToArray(),
            StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the host (without port) is bound at all, whatever the path.</summary>
    public bool IsBound(ReadOnlySpan<char> host) => Find(host) is not null;

    /// <summary>The binding and app path for a request, or null when the host is not bound or none of its base paths prefixes the path.</summary>
    /// <param name="host">The Host header's name, without the port.</param>
    /// <param name="escapedPath">The request path in URI-escaped form, starting with <c>/</c>.</param>
    public HostRouteMatch? Match(ReadOnlySpan<char> host, string escapedPath)
    {
        ArgumentNullException.ThrowIfNull(escapedPath);
        if (Find(host) is not { } onHost)
        {
            return null;
        }

        foreach (var binding in onHost)
        {
            if (RemainderAfter(binding.BasePath, escapedPath) is { } remaining)
            {
                return new HostRouteMatch(binding, remaining);
            }
        }

        return null;
    }

    private DomainBinding[]? Find(ReadOnlySpan<char> host)
    {
        if (_exact.Count == 0 && _wildcards.Count == 0)
        {
            return null;
        }

        if (host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (host.IsEmpty || host.Length > DomainNameRules.MaxLength)
        {
            return null;
        }

        if (_exactLookup.TryGetValue(host, out var exact))
        {
            return exact;
        }

        var dot = host.IndexOf('.');
        return dot > 0 && _wildcardLookup.TryGetValue(host[(dot + 1)..], out var wildcard) ? wildcard : null;
    }

    /// <summary>The path after <paramref name="basePath"/> when it is a whole-segment prefix of <paramref name="path"/>; else null.</summary>
    private static string? RemainderAfter(string basePath, string path)
    {
        if (basePath.Length == 0)
        {
            return path.Length == 0 ? "/" : path;
        }

        if (!path.StartsWith(basePath, StringComparison.Ordinal))
        {
            return null;
        }

        if (path.Length == basePath.Length)
        {
            return "/";
        }

        return path[basePath.Length] == '/' ? path[basePath.Length..] : null;
    }
}

/// <summary>The custom domains in force right now; implementations swap whole tables, so reading is lock-free.</summary>
public interface IHostRoutes
{
    HostRouteTable Current { get; }
}
