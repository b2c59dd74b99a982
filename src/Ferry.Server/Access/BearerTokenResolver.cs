using System.Collections.Concurrent;
using Ferry.Store;

namespace Ferry.Server.Access;

/// <summary>
/// Finds the caller a bearer token stands for. Lookups are cached for a few seconds (a revoked token stops working
/// within that time on other nodes; at once on this one, see <see cref="Invalidate"/>). The in-memory token of this
/// server's own installer (<see cref="LocalInstallerCredential"/>) is never stored.
/// </summary>
public sealed class BearerTokenResolver(IAccessStore store, TimeProvider time, LocalInstallerCredential localInstaller)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>The caller a bearer token stands for, or null when it is unknown or revoked.</summary>
    public async Task<Caller?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (!TokenSecret.LooksValid(token))
        {
            return null;
        }

        if (localInstaller.Matches(token))
        {
            return localInstaller.Caller;
        }

        var hash = TokenSecret.Hash(token);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.Until > now)
        {
            return cached.Caller;
        }

        var stored = await store.FindActiveTokenAsync(hash, cancellationToken);
        var caller = stored is null ? null : new Caller(stored.Tenant, stored.Roles, stored.Id, stored.Name);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[hash] = (caller, now + CacheFor);
        return caller;
    }

    /// <summary>Forgets cached lookups (after a revocation on this node).</summary>
    public void Invalidate() => _cache.Clear();
}
