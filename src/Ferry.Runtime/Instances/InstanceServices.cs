using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
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
    TimeProvider Time);
