using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Resources.Databases;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Resources.Tests.Databases;

/// <summary>The relay against a small loopback TCP upstream (no PostgreSQL needed).</summary>
public sealed class PostgresRelayTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ferry-relay-").FullName;
    private readonly TcpListener _upstream = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _upstreamLoop = Task.CompletedTask;

    private string SocketPath => Path.Combine(_directory, "relay.sock");

    private IPEndPoint UpstreamEndPoint => (IPEndPoint)_upstream.LocalEndpoint;

    public Task InitializeAsync()
    {
        _upstream.Start();
        _upstreamLoop = ServeUpstreamAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _upstream.Stop();
        await _upstreamLoop;
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Half_close_reaches_the_server_and_the_reply_still_comes_back()
    {
        await using var relay = PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance);
        using var client = await ConnectAsync();

        await client.SendAsync(Encoding.ASCII.GetBytes("Ehello relay"));
        client.Shutdown(SocketShutdown.Send);

        // The upstream answers only after it has read to the end, so this proves EOF travelled through the relay.
        Assert.Equal("echo:hello relay", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task Large_payloads_pass_unchanged_in_both_directions()
    {
        await using var relay = PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance);
        using var client = await ConnectAsync();
        var payload = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        var send = Task.Run(async () =>
        {
            await client.SendAsync(new byte[] { (byte)'E' });
            var remaining = payload.AsMemory();
            while (!remaining.IsEmpty)
            {
                remaining = remaining[await client.SendAsync(remaining)..];
            }

            client.Shutdown(SocketShutdown.Send);
        });
        var received = await ReadAllBytesAsync(client);
        await send;

        Assert.Equal(Encoding.ASCII.GetBytes("echo:").Concat(payload).ToArray(), received);
    }

    [Fact]
    public async Task A_client_that_vanishes_mid_stream_is_cleaned_up_and_the_relay_keeps_serving()
    {
        await using var relay = PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance);
        using (var vanishing = await ConnectAsync())
        {
            await vanishing.SendAsync(new byte[] { (byte)'S' });
            var buffer = new byte[4096];
            Assert.True(await vanishing.ReceiveAsync(buffer) > 0);
            vanishing.LingerState = new LingerOption(true, 0);
        }

        await WaitUntilAsync(() => relay.ActiveConnections == 0);
        using var next = await ConnectAsync();
        await next.SendAsync(Encoding.ASCII.GetBytes("Estill here"));
        next.Shutdown(SocketShutdown.Send);
        Assert.Equal("echo:still here", await ReadToEndAsync(next));
    }

    [Fact]
    public async Task An_unreachable_upstream_closes_the_client_connection_only()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var nobody = (IPEndPoint)closed.LocalEndpoint;
        closed.Stop();
        await using var relay = PostgresRelay.Start(SocketPath, nobody, NullLogger.Instance);

        using var client = await ConnectAsync();

        Assert.Equal("", await ReadToEndAsync(client));
        await WaitUntilAsync(() => relay.ActiveConnections == 0);
    }

    [Fact]
    public async Task The_socket_is_0660_replaces_a_stale_one_refuses_a_live_one_and_is_removed_on_dispose()
    {
        await LeaveStaleSocketAsync(SocketPath);
        Assert.True(File.Exists(SocketPath));
        var relay = PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance);
        try
        {
            Assert.Equal(PostgresRelay.DefaultSocketMode, File.GetUnixFileMode(SocketPath));
            var clash = Assert.Throws<IOException>(() => PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance));
            Assert.Contains("already in use", clash.Message);
        }
        finally
        {
            await relay.DisposeAsync();
        }

        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task Dispose_ends_open_connections()
    {
        var relay = PostgresRelay.Start(SocketPath, UpstreamEndPoint, NullLogger.Instance);
        using var client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("Ewaiting"));
        await WaitUntilAsync(() => relay.ActiveConnections == 1);

        await relay.DisposeAsync();

        Assert.Equal(0, relay.ActiveConnections);
        try
        {
            Assert.Equal("", await ReadToEndAsync(client));
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closing with unread input resets instead of ending cleanly; either way the connection is over.
        }
    }

    /// <summary>
    /// A socket file whose process died. .NET unlinks the files of sockets it disposes, so a process that exits
    /// without cleaning up stands in for the crash.
    /// </summary>
    private static async Task LeaveStaleSocketAsync(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("python3") { ArgumentList = { "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path } };
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        return socket;
    }

    private static async Task<string> ReadToEndAsync(Socket socket) => Encoding.ASCII.GetString(await ReadAllBytesAsync(socket));

    private static async Task<byte[]> ReadAllBytesAsync(Socket socket)
    {
        using var received = new MemoryStream();
        var buffer = new byte[65536];
        int count;
        while ((count = await socket.ReceiveAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, count);
        }

        return received.ToArray();
    }

    /// <summary>Polls a condition the relay reaches asynchronously; the bound only stops a broken test from hanging.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 600 && !condition(); attempt++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the relay did not reach the expected state");
    }

    /// <summary>
    /// First byte 'E': read to EOF, then answer "echo:" + what was read and close. 'S': stream data until the peer
    /// goes away.
    /// </summary>
    private async Task ServeUpstreamAsync()
    {
        var handlers = new List<Task>();
        try
        {
            while (true)
            {
                var connection = await _upstream.AcceptSocketAsync(_stop.Token);
                handlers.Add(HandleAsync(connection));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(handlers);
    }

    private async Task HandleAsync(Socket connection)
    {
        using (connection)
        {
            try
            {
                var mode = new byte[1];
                if (await connection.ReceiveAsync(mode, _stop.Token) == 0)
                {
                    return;
                }

                if (mode[0] == 'S')
                {
                    var chunk = new byte[64 * 1024];
                    while (true)
                    {
                        await connection.SendAsync(chunk, _stop.Token);
                    }
                }

                var body = await ReadAllBytesAsync(connection);
                await connection.SendAsync(Encoding.ASCII.GetBytes("echo:").Concat(body).ToArray(), _stop.Token);
                connection.Shutdown(SocketShutdown.Both);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException)
            {
                // The client went away (the point of some tests) or the test ended.
            }
        }
    }
}
