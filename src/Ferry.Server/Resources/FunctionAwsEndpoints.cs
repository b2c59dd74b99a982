using Ferry.Runtime;
using Ferry.Runtime.Sandbox;
using Ferry.Server.Lambda;

namespace Ferry.Server.Resources;

/// <summary>
/// The host services behind <see cref="FunctionAwsEnvironment"/>: the S3-compatible endpoint and the relay to the
/// Lambda API. Started once, before any function or stem cell, because every function gets bridges to both; the same
/// two serve every tenant, and what a request may reach is decided by the credentials it is signed with.
/// </summary>
public sealed class FunctionAwsEndpoints(BucketEndpointService buckets, LambdaEndpointRelay lambda)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<ResourceService>? _services;

    /// <summary>The services, for <see cref="FunctionResources.Services"/>.</summary>
    public async Task<IReadOnlyList<ResourceService>> GetAsync(CancellationToken cancellationToken)
    {
        if (_services is { } started)
        {
            return started;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _services ??= await StartAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<ResourceService>> StartAsync(CancellationToken cancellationToken)
    {
        var s3 = await buckets.GetAsync(cancellationToken);
        await lambda.StartAsync(cancellationToken);
        return
        [
            new ResourceService(FunctionAwsEnvironment.S3Service, FunctionAwsEnvironment.S3PortInSandbox, s3.SocketPath, "127.0.0.1", s3.TcpAddress.Port),
            new ResourceService(FunctionAwsEnvironment.LambdaService, FunctionAwsEnvironment.LambdaPortInSandbox, lambda.SocketPath,
                lambda.TcpAddress.Address.ToString(), lambda.TcpAddress.Port),
        ];
    }

    /// <summary>The bridges every stem cell starts with (see <see cref="Ferry.Runtime.StemCells.StemCellPool.Start"/>).</summary>
    public async Task<IReadOnlyList<HostServiceBridge>> BridgesAsync(CancellationToken cancellationToken)
        => [.. (await GetAsync(cancellationToken)).Select(s => new HostServiceBridge(s.PortInSandbox, s.HostSocketPath))];
}
