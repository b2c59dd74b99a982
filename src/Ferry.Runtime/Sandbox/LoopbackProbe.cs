using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Asks whether something accepts connections on <c>127.0.0.1:PORT</c> of a sandbox's network namespace, as often as a
/// starting web function needs (about every millisecond), with one socket made in that namespace once
/// (<see cref="NamespaceSocketFactory.CreateLoopbackProbeAsync"/>). Each ask is one blocking <c>connect</c> on the
/// caller's thread: loopback answers within the call (accepted, or refused while nothing listens), and Linux lets a
/// socket whose connect was refused connect again. A probe that made a socket, connected it through the socket engine
/// and closed it on every ask woke three threads each time, whose CPU the starting app was waiting for.
/// </summary>
public sealed partial class LoopbackProbe : IDisposable
{
    private const int AddressFamilyInet = 2;
    private const int SocketLevel = 1, SendTimeoutOption = 21;
    private const int ConnectionRefused = 111;

    /// <summary>
    /// How long one connect may wait for its answer. Only a listener whose backlog is full leaves it waiting (its SYN
    /// dropped); the ask then says "not yet", and the next one starts over with a new socket.
    /// </summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(5);

    private SafeSocketHandle? _handle;
    private bool _timeoutSet;

    internal LoopbackProbe(SafeSocketHandle handle) => _handle = handle;

    /// <summary>
    /// False once the socket is spent: it connected (and was handed out), or a connect went unanswered. Ask a new
    /// probe then.
    /// </summary>
    public bool IsUsable => _handle is not null;

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(SafeSocketHandle fd, in LoopbackAddress address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSocketOption(SafeSocketHandle fd, int level, int name, in TimeValue value, int length);

    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/> in the probe's namespace: the connected socket (the probe is spent
    /// then), or null while nothing accepts there.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The probe is spent or disposed.</exception>
    public Socket? TryConnect(int port)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var handle = _handle ?? throw new ObjectDisposedException(nameof(LoopbackProbe));
        if (!_timeoutSet)
        {
            // Once: a refused connect leaves the socket, and its timeout, as they were.
            if (SetSocketOption(handle, SocketLevel, SendTimeoutOption, new TimeValue(ConnectTimeout), Marshal.SizeOf<TimeValue>()) != 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            _timeoutSet = true;
        }

        if (Connect(handle, new LoopbackAddress(port), Marshal.SizeOf<LoopbackAddress>()) != 0)
        {
            if (Marshal.GetLastPInvokeError() != ConnectionRefused)
            {
                // Unanswered (the connect is still pending) or failed otherwise: this socket is done with.
                Dispose();
            }

            return null;
        }

        // Connected: an ordinary socket from here on, without the probe's timeout. The Socket is made only now, so it
        // knows it is connected.
        _handle = null;
        if (SetSocketOption(handle, SocketLevel, SendTimeoutOption, new TimeValue(TimeSpan.Zero), Marshal.SizeOf<TimeValue>()) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new SocketException(error);
        }

        return NamespaceSocketFactory.ToSocket(handle);
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    /// <summary><c>struct sockaddr_in</c> for 127.0.0.1:port.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct LoopbackAddress(int port)
    {
        private readonly ushort _family = AddressFamilyInet;
        private readonly ushort _port = (ushort)IPAddress.HostToNetworkOrder((short)port);
        private readonly uint _address = (uint)IPAddress.HostToNetworkOrder(0x7F000001);
        private readonly ulong _zero;
    }

    /// <summary><c>struct timeval</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeValue(TimeSpan value)
    {
        private readonly long _seconds = (long)value.TotalSeconds;
        private readonly long _microseconds = value.Ticks / 10 % 1_000_000;
    }
}
