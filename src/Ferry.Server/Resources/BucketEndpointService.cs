using Ferry.Resources.Buckets;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

/// <summary>
/// The S3-compatible endpoint of this server, started when the first app with buckets is provisioned (servers whose
/// apps have none never open it). It listens on a loopback TCP port (functions on the host's network, developers'
/// SDKs and tools) and on a UNIX socket that sandboxes with a private network reach through a bridge.
/// </summary>
public sealed class BucketEndpointService(
    BucketStorage storage,
    FunctionBucketCredentials credentials,
    BucketEventDispatcher events,
    FerryServerOptions options,
    ILoggerFactory loggers,
    Ferry.Resources.Queues.QueueStore? queues = null,
    Quotas.TenantQuotas? quotas = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private BucketEndpoint? _endpoint;
    private DirectoryInfo? _socketDirectory;

    /// <summary>The endpoint's TCP address once it runs (for `ferry info`), else null.</summary>
    public Uri? Address => _endpoint?.TcpAddress;

    public async Task<BucketEndpoint> GetAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is { } running)
        {
            return running;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_endpoint is null)
            {
                // UNIX socket paths are limited to 107 bytes; a data folder can be deeper than that.
                _socketDirectory = Directory.CreateTempSubdirectory("ferry-s3-");
                var endpointOptions = new BucketEndpointOptions
                {
                    TcpUrl = options.BucketEndpointUrl,
                    UnixSocketPath = Path.Combine(_socketDirectory.FullName, "s3.sock"),
                    WriteAdmission = quotas is null ? null : quotas.RefuseBucketWrite,
                };
                _endpoint = await BucketEndpoint.StartAsync(endpointOptions, storage, credentials, events, loggers, cancellationToken, queues);
            }

            return _endpoint;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync();
        }

        _socketDirectory?.Delete(recursive: true);
        _gate.Dispose();
    }
}
