using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Lambda;

/// <summary>
/// How functions reach the Lambda API of this server: a UNIX socket that sandboxes with a private network reach
/// through a bridge, and a loopback TCP port for functions on the host's network. Both exist from
/// <see cref="StartAsync"/> on (before the server itself listens, so that sandboxes and stem cells started early can
/// bind the socket); each connection is passed byte for byte to the server's own HTTP address, looked up when the
/// connection arrives. Requests still go through the server's authentication: the relay grants nothing, and the
/// server answers relayed connections only with the Lambda API (<see cref="IsRelayed"/>, <c>UseLambdaRelayScope</c>):
/// functions do not reach the REST API, the console or other apps' routes through it.
/// </summary>
public sealed partial class LambdaEndpointRelay(IServer server, ILogger<LambdaEndpointRelay> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _acceptors = [];
    private readonly List<Socket> _listeners = [];
    private readonly ConcurrentDictionary<IPEndPoint, byte> _upstreamEnds = new();
    private DirectoryInfo? _socketDirectory;

    /// <summary>The UNIX socket bridged into private networks.</summary>
    public string SocketPath { get; private set; } = "";

    /// <summary>The loopback TCP address functions on the host's network use.</summary>
    public IPEndPoint TcpAddress { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Whether a connection to the server from <paramref name="remote"/> is one this relay opened for a function.</summary>
    public bool IsRelayed(IPAddress? remote, int remotePort)
        => remote is not null && _upstreamEnds.ContainsKey(new IPEndPoint(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote, remotePort));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_listeners.Count > 0)
        {
            return Task.CompletedTask;
        }

        // UNIX socket paths are limited to 107 bytes; a data folder can be deeper than that.
        _socketDirectory = Directory.CreateTempSubdirectory("ferry-lambda-");
        SocketPath = Path.Combine(_socketDirectory.FullName, "lambda.sock");
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(SocketPath));
        unix.Listen(128);
        // Sandboxed functions run as other users; the socket is the only door and requests are authenticated.
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0x1FF);
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        tcp.Listen(128);
        TcpAddress = (IPEndPoint)tcp.LocalEndPoint!;
        _listeners.AddRange([unix, tcp]);
        _acceptors.AddRange(_listeners.Select(listener => Task.Run(() => AcceptAsync(listener), CancellationToken.None)));
        return Task.CompletedTask;
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client), CancellationToken.None);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var clientSocket = client;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        IPEndPoint? upstreamEnd = null;
        try
        {
            await upstream.ConnectAsync(ServerAddress(), _stopping.Token);
            // Known before the first byte is passed on, so the server's check never misses it.
            upstreamEnd = (IPEndPoint)upstream.LocalEndPoint!;
            _upstreamEnds[upstreamEnd] = 0;
            await using var clientStream = new NetworkStream(clientSocket, ownsSocket: false);
            await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
            var toServer = PumpAsync(clientStream, upstream);
            var toClient = PumpAsync(upstreamStream, clientSocket);
            await Task.WhenAll(toServer, toClient);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            LogRelayFailed(ex.Message);
        }
        finally
        {
            if (upstreamEnd is not null)
            {
                _upstreamEnds.TryRemove(upstreamEnd, out _);
            }
        }
    }

    /// <summary>Copies until <paramref name="from"/> ends, then half-closes <paramref name="to"/> so the other side sees the end.</summary>
    private async Task PumpAsync(Stream from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
        {
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
        }

        to.Shutdown(SocketShutdown.Send);
    }

    /// <summary>The server's first plain-HTTP address, with a wildcard host taken as loopback.</summary>
    /// <exception cref="InvalidOperationException">The server does not listen (yet), or only over HTTPS.</exception>
    private IPEndPoint ServerAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (!address.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var uri = new Uri(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
            var host = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) && ip.AddressFamily == AddressFamily.InterNetwork
                ? ip
                : IPAddress.Loopback;
            return new IPEndPoint(host, uri.Port);
        }

        throw new InvalidOperationException("the server has no plain-HTTP address to pass Lambda API requests to");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptors);
        _socketDirectory?.Delete(recursive: true);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A function's connection to the Lambda API ended early: {Reason}")]
    private partial void LogRelayFailed(string reason);
}
