using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ferry.Store;

namespace Ferry.Runtime.Instances;

/// <summary>
/// An instance of a web function: any HTTP server (Express, Flask, ASP.NET Core…) started with its <c>command</c>
/// and listening on <c>$PORT</c>. Ready once the port accepts connections; then the gateway forwards to it.
/// </summary>
public sealed class WebFunctionInstance(FunctionRevision function, InstanceServices services) : FunctionInstance(function, services)
{
    public override int Capacity => Services.Options.WebConcurrencyPerInstance;

    /// <summary>Where the gateway forwards requests, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var command = Function.Function.Command;
        if (command is null || command.Count == 0)
        {
            throw new InstanceStartException($"web function '{Function.Name}' has no command to start");
        }

        var port = FreeLoopbackPort();
        Address = new Uri($"http://127.0.0.1:{port}/");
        var environment = new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HOST"] = "127.0.0.1",
        };

        await LaunchAsync(command, environment, cancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Services.Options.StartTimeout);
        try
        {
            await WaitForPortAsync(port, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstanceStartException(string.Create(CultureInfo.InvariantCulture,
                $"the web function did not listen on $PORT ({port}) within {Services.Options.StartTimeout.TotalSeconds:0} s; it must read the port from the PORT environment variable"));
        }
    }

    private async Task WaitForPortAsync(int port, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (Exited.IsCompleted)
            {
                var code = await Process.Exited;
                throw new InstanceStartException($"the web function exited with code {code} before listening on $PORT; see the function's logs");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
            }
        }
    }

    /// <summary>A port the kernel just handed out, released for the instance to take.</summary>
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Meters one forwarded request (web functions write no START/END lines: they serve many at once).</summary>
    public Task RecordRequestAsync(string requestId, DateTimeOffset start, TimeSpan duration, InvocationStatus status, string? error, bool coldStart)
        => ReportAsync(requestId, start, duration, status, error, coldStart, writeLines: false);
}
