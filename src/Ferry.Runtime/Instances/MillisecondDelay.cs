using System.Diagnostics;

namespace Ferry.Runtime.Instances;

/// <summary>
/// <see cref="Task.Delay(TimeSpan, CancellationToken)"/> to the millisecond, for the short waits of a cold start's
/// readiness polling. .NET's timers run on the coarse monotonic clock, which ticks once per kernel jiffy: on a kernel
/// built with HZ=250 (this machine kind) <c>Task.Delay(1 ms)</c> returns after 4.3 ms, which a web function's cold start
/// paid on top of its app's start. A blocking wait with a timeout is exact to about 0.1 ms, so one background thread
/// waits for the earliest deadline and completes the delays that are due. It sleeps without a timeout when no delay
/// is pending, so it costs nothing between cold starts.
/// </summary>
internal static class MillisecondDelay
{
    /// <summary>Longer waits gain nothing from precision and go to <see cref="Task.Delay(TimeSpan, CancellationToken)"/>.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);

    private static readonly object Gate = new(); // a monitor, for Monitor.Wait and Pulse
    private static readonly PriorityQueue<PendingDelay, long> Pending = new();
    private static Thread? _thread;

    /// <summary>A task that completes <paramref name="delay"/> from now (not sooner, and about 0.1 ms later on an idle machine).</summary>
    public static Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        if (delay > MaxDelay)
        {
            return Task.Delay(delay, cancellationToken);
        }

        var pending = new PendingDelay(cancellationToken);
        var due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        lock (Gate)
        {
            Pending.Enqueue(pending, due);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Ferry millisecond delays" };
                _thread.Start();
            }
            else
            {
                Monitor.Pulse(Gate);
            }
        }

        return pending.Task;
    }

    /// <summary>A delay's task; one that is canceled stays queued until its deadline (at most <see cref="MaxDelay"/>), where completing it again does nothing.</summary>
    private sealed class PendingDelay : TaskCompletionSource
    {
        private readonly CancellationTokenRegistration _registration;

        public PendingDelay(CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((PendingDelay)state!).TrySetCanceled(token), this);
            }
        }

        public void Elapse()
        {
            if (TrySetResult())
            {
                _registration.Dispose();
            }
        }
    }

    private static void Run()
    {
        var due = new List<PendingDelay>();
        while (true)
        {
            lock (Gate)
            {
                while (true)
                {
                    if (!Pending.TryPeek(out _, out var earliest))
                    {
                        Monitor.Wait(Gate);
                        continue;
                    }

                    var now = Stopwatch.GetTimestamp();
                    if (earliest > now)
                    {
                        // Rounded up, so a wait never ends before the deadline; a new earlier deadline pulses the gate.
                        var milliseconds = (int)Math.Ceiling((earliest - now) * 1000.0 / Stopwatch.Frequency);
                        Monitor.Wait(Gate, Math.Max(1, milliseconds));
                        continue;
                    }

                    while (Pending.TryPeek(out _, out var deadline) && deadline <= now)
                    {
                        due.Add(Pending.Dequeue());
                    }

                    break;
                }
            }

            foreach (var pending in due)
            {
                pending.Elapse();
            }

            due.Clear();
        }
    }
}
