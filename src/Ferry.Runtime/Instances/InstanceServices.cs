using Ferry.Runtime.Images;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Runtime.Telemetry;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Instances;

/// <summary>What every instance needs from the host: where to run, where to report.</summary>
public sealed record InstanceServices(
    ISandbox Sandbox,
    RuntimeApiHost RuntimeApi,
    LogPipeline Logs,
    InvocationRecorder Invocations,
    RuntimeOptions Options,
    ILoggerFactory LoggerFactory,
    TimeProvider Time)
{
    /// <summary>Pre-started runtimes that cold starts of fitting event functions take over; null: none.</summary>
    public StemCellPool? StemCells { get; init; }

    /// <summary>Unpacks and caches the images of image functions; null: image functions can't start on this server.</summary>
    public ImageStore? Images { get; init; }

    /// <summary>Per-tenant instance and memory quotas, shared by all pools; null: no quotas.</summary>
    public Quotas.TenantAdmission? Admission { get; init; }

    /// <summary>
    /// Creates the gateway's sockets to web functions inside their sandboxes' network namespaces; null: this server's
    /// own (<see cref="NamespaceSocketFactory.ForThisServer"/>).
    /// </summary>
    public NamespaceSocketFactory? NamespaceSockets { get; init; }

    /// <summary>Each function's recent start time, which its pools weigh their queues against; one per server.</summary>
    public Pooling.FunctionPaces Paces { get; init; } = new();

    /// <summary>The machine's idle CPU, which sustained load must find before it adds an instance; null: not asked.</summary>
    public Pooling.IMachineCpu? Cpu { get; init; }
}
