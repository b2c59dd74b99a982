using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Creates TCP sockets inside a sandbox's network namespace, for the gateway to connect to a web function's port
/// directly (<c>127.0.0.1:$PORT</c> there) instead of through the sandbox's socat. One dedicated thread, never a
/// thread-pool thread, does it: <c>setns</c> into the namespace, <c>socket()</c>, <c>setns</c> back into the server's
/// own namespace (opened when the thread started). A socket stays in the namespace it was created in, so it can be
/// connected from any thread afterwards, and the function sees a loopback client of its own network and gains no
/// route anywhere. If the way back ever fails, the process ends at once: no thread of the server may go on running in
/// a sandbox's namespace.
/// <para>
/// <c>setns</c> needs <c>CAP_SYS_ADMIN</c>, so only a server running as root can do this; any other server (and one
/// whose <c>setns</c> is refused) keeps connecting through the sandbox's socat: <see cref="UnavailableReason"/>.
/// </para>
/// </summary>
public sealed partial class NamespaceSocketFactory : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private const int AddressFamilyInet = 2, SocketStream = 1, SocketCloseOnExec = 0x80000;
    private const int OperationNotPermitted = 1;

    private static readonly Lazy<NamespaceSocketFactory> Shared = new(() => HostFileOwnership.EffectiveUserId == 0
        ? Start()
        : Unavailable("the server does not run as root (entering a sandbox's network namespace needs CAP_SYS_ADMIN)"));

    private readonly BlockingCollection<SocketRequest>? _requests;
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);
    private string? _unavailableReason;
    private int _threadId;

    private NamespaceSocketFactory(BlockingCollection<SocketRequest>? requests, string? unavailableReason)
    {
        _requests = requests;
        _unavailableReason = unavailableReason;
    }

    /// <summary>This server's factory: working when it runs as root (its thread starts on first use), else unavailable.</summary>
    public static NamespaceSocketFactory ForThisServer => Shared.Value;

    /// <summary>Why sockets cannot be created in sandboxes' namespaces here; null while they can.</summary>
    public string? UnavailableReason => Volatile.Read(ref _unavailableReason);

    /// <summary>The native thread id of the thread that enters namespaces (0 without one).</summary>
    internal int ThreadId => Volatile.Read(ref _threadId);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(SafeHandle namespaceFile, int type);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int CreateSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    /// <summary>A factory with a thread of its own, which starts in (and always returns to) the caller's network namespace.</summary>
    internal static NamespaceSocketFactory Start()
    {
        var requests = new BlockingCollection<SocketRequest>();
        var factory = new NamespaceSocketFactory(requests, null);
        // Opened on the creating thread, in whose namespace the new thread starts: the thread's home.
        var home = NetworkNamespace.OfCallingThread();
        new Thread(() => factory.Serve(home)) { IsBackground = true, Name = "Ferry namespace sockets" }.Start();
        return factory;
    }

    /// <summary>A factory that creates no sockets, for a server that cannot enter namespaces (or a test of the fallback).</summary>
    public static NamespaceSocketFactory Unavailable(string reason) => new(null, reason);

    /// <summary>
    /// A new, unconnected IPv4 TCP socket (with <c>TCP_NODELAY</c>) in <paramref name="networkNamespace"/>; connect it
    /// to that namespace's addresses from anywhere.
    /// </summary>
    /// <exception cref="NamespaceEntryException">The namespace could not be entered (see <see cref="UnavailableReason"/> after EPERM).</exception>
    /// <exception cref="ObjectDisposedException">The namespace was closed.</exception>
    public async Task<Socket> CreateTcpSocketAsync(NetworkNamespace networkNamespace, CancellationToken cancellationToken) =>
        ToSocket(await EnqueueAsync(new SocketRequest(networkNamespace, cancellationToken)));

    /// <summary>
    /// A readiness probe of <c>127.0.0.1:PORT</c> in <paramref name="networkNamespace"/>: one socket made there now, which
    /// <see cref="LoopbackProbe.TryConnect"/> connects from any thread, again after each refusal, without entering the
    /// namespace again.
    /// </summary>
    /// <exception cref="NamespaceEntryException">The namespace could not be entered (see <see cref="UnavailableReason"/> after EPERM).</exception>
    /// <exception cref="ObjectDisposedException">The namespace was closed.</exception>
    public async Task<LoopbackProbe> CreateLoopbackProbeAsync(NetworkNamespace networkNamespace, CancellationToken cancellationToken) =>
        new(await EnqueueAsync(new SocketRequest(networkNamespace, cancellationToken)));

    private Task<SafeSocketHandle> EnqueueAsync(SocketRequest request)
    {
        var unavailable = UnavailableReason;
        if (_requests is null || unavailable is not null)
        {
            return Task.FromException<SafeSocketHandle>(new NamespaceEntryException(unavailable ?? "no namespace thread", 0));
        }

        request.Cancellation.ThrowIfCancellationRequested();
        try
        {
            _requests.Add(request, request.Cancellation);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(NamespaceSocketFactory));
        }

        return request.Result.Task;
    }

    /// <summary>Logs <paramref name="reason"/> for not using namespace sockets, the first time this factory is told it.</summary>
    public void ReportFallback(ILogger logger, string reason)
    {
        if (_reported.TryAdd(reason, true))
        {
            LogFallback(logger, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Web functions are reached through their sandbox's socat, not by sockets in its network namespace: {Reason}")]
    private static partial void LogFallback(ILogger logger, string reason);

    /// <summary>The thread's loop: every request is served in order, each leaving the thread in its home namespace.</summary>
    private void Serve(NetworkNamespace home)
    {
        using var owned = home;
        Volatile.Write(ref _threadId, GetThreadId());
        foreach (var request in _requests!.GetConsumingEnumerable())
        {
            if (request.Cancellation.IsCancellationRequested)
            {
                request.Result.TrySetCanceled(request.Cancellation);
                continue;
            }

            try
            {
                request.Result.TrySetResult(CreateIn(request.Namespace, home));
            }
            catch (Exception ex)
            {
                request.Result.TrySetException(ex);
            }
        }
    }

    /// <summary>A <see cref="Socket"/> (with <c>TCP_NODELAY</c>) that owns <paramref name="handle"/>; the handle is closed if that fails.</summary>
    internal static Socket ToSocket(SafeSocketHandle handle)
    {
        try
        {
            return new Socket(handle) { NoDelay = true };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private SafeSocketHandle CreateIn(NetworkNamespace target, NetworkNamespace home)
    {
        int fd;
        int error;
        var entered = false;
        try
        {
            if (SetNamespace(target.Handle, CloneNewNet) != 0)
            {
                error = Marshal.GetLastPInvokeError();
                if (error == OperationNotPermitted)
                {
                    Volatile.Write(ref _unavailableReason, "setns into a sandbox's network namespace was refused (EPERM)");
                }

                throw new NamespaceEntryException($"could not enter the sandbox's network namespace: {Marshal.GetPInvokeErrorMessage(error)}", error);
            }

            entered = true;
            fd = CreateSocket(AddressFamilyInet, SocketStream | SocketCloseOnExec, 0);
            error = Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (entered && SetNamespace(home.Handle, CloneNewNet) != 0)
            {
                Environment.FailFast($"Ferry could not return a thread from a sandbox's network namespace to its own ({Marshal.GetLastPInvokeErrorMessage()}); stopping rather than serving from it.");
            }
        }

        if (fd < 0)
        {
            throw new SocketException(error);
        }

        return new SafeSocketHandle(fd, ownsHandle: true);
    }

    /// <summary>Stops the thread once the requests already queued are served.</summary>
    public void Dispose() => _requests?.CompleteAdding();

    private sealed record SocketRequest(NetworkNamespace Namespace, CancellationToken Cancellation)
    {
        public TaskCompletionSource<SafeSocketHandle> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
