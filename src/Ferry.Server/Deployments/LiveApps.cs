using System.Collections.Concurrent;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Ferry.Runtime;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Deployments;

/// <summary>
/// The app stages being served right now, each at its active revision. Activating a revision builds its routes and
/// pools first and then swaps them in with one reference write, so a request sees either the old revision or the
/// new one, never a mix; the old revision's pools drain in the background. A redeploy under load hands the traffic
/// over during a <see cref="TrafficShift"/> first (each request still goes to one revision or the other).
/// </summary>
public sealed partial class LiveApps(InstanceServices services, ILogger<LiveApps> logger, Quotas.TenantQuotas? quotas = null)
    : IDeployedApps, IAsyncDisposable
{
    private readonly ConcurrentDictionary<AppKey, LiveApp> _apps = new();
    private readonly ConcurrentDictionary<Task, byte> _draining = new();

    public DeployedApp? Find(string service, string stage, string region)
        => _apps.TryGetValue(new AppKey(service, stage, region), out var app) ? app.Deployed : null;

    /// <summary>Every app stage being served (a snapshot).</summary>
    public IReadOnlyList<LiveApp> All => [.. _apps.Values];

    public LiveApp? Get(string service, string stage, string region)
        => _apps.TryGetValue(new AppKey(service, stage, region), out var app) ? app : null;

    /// <summary>Builds and serves a revision in one step (deploys, restarts).</summary>
    public void Activate(AppStage appStage, Revision revision, ServiceManifest manifest, string codeDirectory, FunctionResources resources)
        => Publish(Build(appStage, revision, manifest, codeDirectory, resources));

    /// <summary>
    /// Routes and pools of a revision, not yet serving public traffic: it can be health-checked through
    /// <see cref="FunctionGateway.HandleAsync"/> and then published, or disposed with <see cref="DiscardAsync"/>.
    /// </summary>
    /// <param name="resources">What the app stage's buckets and databases give its functions.</param>
    public LiveApp Build(AppStage appStage, Revision revision, ServiceManifest manifest, string codeDirectory, FunctionResources resources)
    {
        var pools = new Dictionary<string, InstancePool>(StringComparer.Ordinal);
        foreach (var function in manifest.Functions)
        {
            var functionRevision = new FunctionRevision
            {
                Tenant = appStage.Tenant,
                AppStageId = appStage.Id,
                RevisionId = revision.Id,
                RevisionNumber = revision.Number,
                Service = appStage.Service,
                Stage = appStage.Stage,
                Region = appStage.Region,
                Function = WithAllowedNetwork(appStage, function),
                CodeDirectory = codeDirectory,
                Resources = resources,
            };
            pools[function.Name] = new InstancePool(functionRevision, services);
        }

        var routes = RouteTable.Build(manifest.Functions.SelectMany(f => f.Routes.Select(r => (f.Name, r))));
        var deployed = new DeployedApp(appStage.Tenant, appStage.Service, appStage.Stage, appStage.Region, revision.Number, routes, pools);
        return new LiveApp(appStage, revision, manifest, deployed);
    }

    /// <summary>
    /// Deploys refuse <c>outboundNetwork: true</c> for tenants that may not use it; a revision deployed before (or before
    /// an admin withdrew the permission) that comes back through a restart or rollback runs on a private network instead.
    /// </summary>
    private FunctionManifest WithAllowedNetwork(AppStage appStage, FunctionManifest function)
    {
        if (!function.OutboundNetwork || quotas is null || quotas.Effective(appStage.Tenant).AllowOutboundNetwork)
        {
            return function;
        }

        LogOutboundNetworkWithdrawn(appStage.Service, appStage.Stage, function.Name, appStage.Tenant);
        return function with { OutboundNetwork = false };
    }

    /// <summary>
    /// Starts, in a built revision's pools, as many instances as the same functions of the revision being served run
    /// now, and waits for them (at most the instance start timeout), so that publishing it switches traffic to warm
    /// instances instead of sending every request of a busy function to a cold start at once. Functions nobody calls
    /// start nothing. Never throws: what is not ready in time starts on demand as before.
    /// </summary>
    public async Task WarmUpLikeLiveAsync(LiveApp candidate)
    {
        var appStage = candidate.AppStage;
        if (!services.Options.WarmRedeploys)
        {
            return;
        }

        if (Get(appStage.Service, appStage.Stage, appStage.Region) is not { } live || ReferenceEquals(live, candidate))
        {
            return;
        }

        List<Task<int>> warming = [];
        foreach (var (name, pool) in candidate.Deployed.Pools)
        {
            if (live.Deployed.Pools.TryGetValue(name, out var serving) && serving.InstanceCount is > 0 and var count
                && serving.Function.Function.Kind == pool.Function.Function.Kind)
            {
                warming.Add(pool.PrewarmAsync(count, CancellationToken.None));
            }
        }

        if (warming.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(warming).WaitAsync(services.Options.StartTimeout, services.Time);
            LogWarmedUp(appStage.Service, appStage.Stage, appStage.Region, candidate.Revision.Number, warming.Sum(t => t.Result));
        }
        catch (TimeoutException)
        {
            LogWarmUpTimedOut(appStage.Service, appStage.Stage, appStage.Region, candidate.Revision.Number, services.Options.StartTimeout.TotalSeconds);
        }
    }

    /// <summary>
    /// Switches public traffic to <paramref name="live"/>; the previous revision drains in the background. While the
    /// previous revision has requests in flight the switch is spread over <see cref="RuntimeOptions.RedeployTrafficShift"/>
    /// (<see cref="TrafficShift"/>) unless <paramref name="shiftTraffic"/> is false (a rollback leaves a revision that
    /// misbehaves at once); otherwise it is atomic.
    /// </summary>
    public void Publish(LiveApp live, bool shiftTraffic = true)
    {
        var appStage = live.AppStage;
        var key = new AppKey(appStage.Service, appStage.Stage, appStage.Region);
        if (_apps.TryGetValue(key, out var serving))
        {
            // Before the switch: the new pools' first requests may be refused a quota place the old pools still hold.
            foreach (var pool in serving.Deployed.Pools.Values)
            {
                pool.AnnounceRetirement();
            }
        }

        // A revision that takes over while requests are in flight takes the load step by step, when it was warmed up
        // as far as the revision it replaces runs (else its pools would need places in the tenant's quota that the
        // previous revision gives back only when it drains, after the shift).
        if (shiftTraffic && serving is not null && services.Options.RedeployTrafficShift > TimeSpan.Zero
            && serving.Deployed.Pools.Values.Any(p => p.RequestsInFlight > 0)
            && serving.Deployed.Pools.All(p => !live.Deployed.Pools.TryGetValue(p.Key, out var next) || next.InstanceCount >= p.Value.InstanceCount))
        {
            // Without the shift the replaced revision may still have (from its own deploy): no chain of past revisions.
            var from = serving.Deployed.Shift is null ? serving.Deployed : serving.Deployed with { Shift = null };
            live = live with { Deployed = live.Deployed with { Shift = new TrafficShift(from, services.Time, services.Options.RedeployTrafficShift) } };
        }

        LiveApp? previous = null;
        _apps.AddOrUpdate(key, live, (_, old) =>
        {
            previous = old;
            return live;
        });

        LogActivated(appStage.Service, appStage.Stage, appStage.Region, live.Revision.Number);
        if (previous is null)
        {
            return;
        }

        var shift = ReferenceEquals(previous, serving) ? live.Deployed.Shift : null;
        if (shift is not null)
        {
            LogShifting(appStage.Service, appStage.Stage, appStage.Region, live.Revision.Number, shift.Duration.TotalSeconds);
        }

        Drain(previous, shift?.Duration ?? TimeSpan.Zero);
    }

    /// <summary>Stops a built revision that was never published (failed health check).</summary>
    public static async Task DiscardAsync(LiveApp candidate)
        => await Task.WhenAll(candidate.Deployed.Pools.Values.Select(p => p.DisposeAsync().AsTask()));

    public bool Deactivate(string service, string stage, string region)
    {
        if (!_apps.TryRemove(new AppKey(service, stage, region), out var previous))
        {
            return false;
        }

        Drain(previous);
        return true;
    }

    /// <summary>
    /// Drains a revision's pools in the background, <paramref name="after"/> from now (the traffic shift away from it;
    /// at once when the server stops first).
    /// </summary>
    private void Drain(LiveApp app, TimeSpan after = default)
    {
        var task = DrainAsync();
        _draining[task] = 0;
        _ = task.ContinueWith(t => _draining.TryRemove(t, out _), TaskScheduler.Default);

        async Task DrainAsync()
        {
            if (after > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(after, services.Time, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: the pools are drained (and then disposed) right away.
                }
            }

            await Task.WhenAll(app.Deployed.Pools.Values.Select(p => p.DrainAsync()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // the host and the server both dispose it
        }

        await _stopping.CancelAsync();
        var pools = _apps.Values.SelectMany(a => a.Deployed.Pools.Values).ToList();
        _apps.Clear();
        await Task.WhenAll(pools.Select(p => p.DisposeAsync().AsTask()).Concat(_draining.Keys));
        _stopping.Dispose();
    }

    /// <summary>Cancelled when the server stops: ends the waits of <see cref="Drain"/> for a traffic shift.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private readonly record struct AppKey(string Service, string Stage, string Region);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}/{Stage}/{Function} declares outboundNetwork: true but tenant {Tenant} is not allowed it (ferry tenant quota set {Tenant} --allow-outbound-network true); it runs without outbound network")]
    private partial void LogOutboundNetworkWithdrawn(string service, string stage, string function, string tenant);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shifting {Service}/{Stage}@{Region}'s traffic to revision {Revision} over {Seconds} s (requests were in flight)")]
    private partial void LogShifting(string service, string stage, string region, int revision, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Instances} instances of {Service}/{Stage}@{Region} revision {Revision} before switching traffic to it")]
    private partial void LogWarmedUp(string service, string stage, string region, int revision, int instances);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instances of {Service}/{Stage}@{Region} revision {Revision} were not all ready after {Seconds} s; switching traffic to it anyway")]
    private partial void LogWarmUpTimedOut(string service, string stage, string region, int revision, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {Service}/{Stage}@{Region} at revision {Revision}")]
    private partial void LogActivated(string service, string stage, string region, int revision);
}

/// <summary>An app stage as it is served: its store rows, its manifest, and its routes and pools.</summary>
public sealed record LiveApp(AppStage AppStage, Revision Revision, ServiceManifest Manifest, DeployedApp Deployed);
