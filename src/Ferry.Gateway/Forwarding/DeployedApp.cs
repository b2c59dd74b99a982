using Ferry.Gateway.Routing;
using Ferry.Runtime.Pooling;

namespace Ferry.Gateway.Forwarding;

/// <summary>The serving state of one app stage's active revision: its routes and an instance pool per function.</summary>
public sealed record DeployedApp(
    string Tenant,
    string Service,
    string Stage,
    string Region,
    int RevisionNumber,
    RouteTable Routes,
    IReadOnlyDictionary<string, InstancePool> Pools)
{
    public string BasePath => GatewayPath.BasePath(Service, Stage, Region);

    /// <summary>Set while this revision takes over from the previous one gradually (a redeploy under load).</summary>
    public TrafficShift? Shift { get; init; }
}

/// <summary>Finds the app stage a request is for. Implementations swap whole <see cref="DeployedApp"/>s atomically on deploy.</summary>
public interface IDeployedApps
{
    DeployedApp? Find(string service, string stage, string region);
}
