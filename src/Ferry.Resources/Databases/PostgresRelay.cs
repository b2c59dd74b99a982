using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ferry.Resources.Databases;

/// <summary>
/// Host side of the database bridge: accepts on a UNIX socket (which the runtime maps into sandboxes) and pipes each
/// connection to the server's address, byte for byte. Name the socket <c>.s.PGSQL.PORT</c> and a libpq/Npgsql client
/// on the host can use its folder as Host.
/// </summary>
public sealed partial class PostgresRelay : IAsyncDisposable
{
    public const UnixFileMode DefaultSocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private const int BufferBytes = 16 * 1024;
    private const int MaxSocketPathBytes = 107;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AcceptErrorPause = TimeSpan.FromMilliseconds(200);

    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly int _maxConnections;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextConnectionId;
    private int _disposed;

    private PostgresRelay(Socket listener, string socketPath, EndPoint target, int maxConnections, ILogger logger)
    {
        _listener = listener;
        SocketPath = socketPath;
        _target = target;
        _maxConnections = maxConnections;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    public string SocketPath { get; }

    public EndPoint Target => _target;

    /// <summary>Connections being relayed right now.</summary>
    public int ActiveConnections => _connections.Count;

    /// <summary>
    /// Listens on <paramref name="socketPath"/> (its folder is created; a stale socket left by a crash is replaced,
    /// a live one is an error) and relays every connection to <paramref name="target"/>.
    /// </summary>
    public static PostgresRelay Start(
        string socketPath,
        EndPoint target,
        ILogger logger,
        UnixFileMode socketMode = DefaultSocketMode,
        int maxConnections = 512)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        if (!Path.IsPathFullyQualified(socketPath) || System.Text.Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPathBytes)
        {
            throw new ArgumentException($"The relay socket path '{socketPath}' must be absolute and at most {MaxSocketPathBytes} bytes.", nameof(socketPath));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        RemoveStaleSocket(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, socketMode);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var relay = new PostgresRelay(listener, socketPath, target, maxConnections, logger);
        LogListening(logger, socketPath, target);
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        await Task.WhenAll(_connections.Values);
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException exception)
        {
            LogCleanupFailed(_logger, SocketPath, exception.Message);
        }

        _stopping.Dispose();
    }

    private static void RemoveStaleSocket(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException)
        {
            // Nobody listens: left behind by a process that died.
            File.Delete(socketPath);
            return;
        }

        throw new IOException($"The relay socket {socketPath} is already in use by another process.");
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stopping);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException exception)
            {
                // E.g. out of file descriptors: pause instead of spinning on the same failure.
                LogAcceptFailed(_logger, SocketPath, exception.SocketErrorCode);
                try
                {
                    await Task.Delay(AcceptErrorPause, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            if (_connections.Count >= _maxConnections)
            {
                LogTooManyConnections(_logger, SocketPath, _maxConnections);
                client.Dispose();
                continue;
            }

            var id = Interlocked.Increment(ref _nextConnectionId);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var connection = RelayConnectionAsync(id, client, gate.Task);
            _connections[id] = connection;
            gate.SetResult();
        }
    }

    private async Task RelayConnectionAsync(long id, Socket client, Task registered)
    {
        // Runs only once the accept loop has recorded it, so that the removal below cannot come first.
        await registered;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        Socket? upstream = null;
        try
        {
            upstream = await ConnectUpstreamAsync(abort.Token);
            var toServer = PumpAsync(client, upstream, abort);
            var toClient = PumpAsync(upstream, client, abort);
            await Task.WhenAll(toServer, toClient);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                LogUpstreamUnreachable(_logger, _target, exception.Message);
            }
        }
        catch (Exception exception)
        {
            LogConnectionFailed(_logger, id, exception);
        }
        finally
        {
            upstream?.Dispose();
            client.Dispose();
            _connections.TryRemove(id, out _);
        }
    }

    private async Task<Socket> ConnectUpstreamAsync(CancellationToken cancellationToken)
    {
        var socket = _target switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
            _ => new Socket(SocketType.Stream, ProtocolType.Tcp),
        };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(_target, timeout.Token);
            if (socket.ProtocolType == ProtocolType.Tcp)
            {
                // The PostgreSQL protocol is request/response with small messages; Nagle would add latency.
                socket.NoDelay = true;
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies until <paramref name="from"/> ends, then half-closes <paramref name="to"/> so the other direction can
    /// still finish. Any failure (a peer that vanished) aborts both directions.
    /// </summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationTokenSource abort)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, abort.Token);
                if (received == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var pending = buffer.AsMemory(0, received);
                while (!pending.IsEmpty)
                {
                    var sent = await to.SendAsync(pending, SocketFlags.None, abort.Token);
                    pending = pending[sent..];
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await abort.CancelAsync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database relay listening on {SocketPath}, forwarding to {Target}")]
    private static partial void LogListening(ILogger logger, string socketPath, EndPoint target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database relay on {SocketPath} could not accept a connection: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string socketPath, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database relay on {SocketPath} refused a connection: {Limit} connections are open already")]
    private static partial void LogTooManyConnections(ILogger logger, string socketPath, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database relay could not reach {Target}: {Problem}")]
    private static partial void LogUpstreamUnreachable(ILogger logger, EndPoint target, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database relay connection {ConnectionId} failed")]
    private static partial void LogConnectionFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database relay could not remove its socket {SocketPath}: {Problem}")]
    private static partial void LogCleanupFailed(ILogger logger, string socketPath, string problem);
}
