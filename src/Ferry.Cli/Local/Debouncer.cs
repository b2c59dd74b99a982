namespace Ferry.Cli.Local;

/// <summary>
/// Turns a burst of signals (an editor saving several files, a tool rewriting a folder) into one event: the event is
/// ready once <see cref="QuietPeriod"/> has passed without a new signal. Signals that arrive while the consumer is
/// busy are not lost; they make the next <see cref="WaitAsync"/> complete after their own quiet period.
/// </summary>
internal sealed class Debouncer : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private bool _settled;
    private TaskCompletionSource? _waiter;

    public Debouncer(TimeSpan quietPeriod, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(quietPeriod, TimeSpan.Zero);
        QuietPeriod = quietPeriod;
        _timer = time.CreateTimer(_ => OnQuiet(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan QuietPeriod { get; }

    /// <summary>Something changed: (re)starts the quiet period. Safe to call from any thread.</summary>
    public void Signal()
    {
        lock (_gate)
        {
            _timer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Completes once signals have been followed by a quiet period, and consumes them; one waiter at a time.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_settled)
            {
                _settled = false;
                return Task.CompletedTask;
            }

            if (_waiter is not null)
            {
                throw new InvalidOperationException("Debouncer.WaitAsync supports one waiter at a time.");
            }

            _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiter = _waiter;
            var registration = cancellationToken.Register(() =>
            {
                lock (_gate)
                {
                    if (ReferenceEquals(_waiter, waiter))
                    {
                        _waiter = null;
                    }
                }

                waiter.TrySetCanceled(cancellationToken);
            });
            waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return waiter.Task;
        }
    }

    private void OnQuiet()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _settled = waiter is null;
        }

        waiter?.TrySetResult();
    }

    public void Dispose() => _timer.Dispose();
}
