using Ferry.Cli.Local;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Cli.Tests.Local;

public sealed class DebouncerTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);
    private readonly FakeTimeProvider _time = new();
    private readonly Debouncer _debouncer;

    public DebouncerTests() => _debouncer = new Debouncer(Quiet, _time);

    public void Dispose() => _debouncer.Dispose();

    [Fact]
    public void A_burst_of_signals_completes_once_the_quiet_period_follows_the_last_one()
    {
        var wait = _debouncer.WaitAsync(CancellationToken.None);

        _debouncer.Signal();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        _debouncer.Signal();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(wait.IsCompleted, "only 100 ms passed since the last signal");
        _debouncer.Signal();
        _time.Advance(TimeSpan.FromMilliseconds(149));
        Assert.False(wait.IsCompleted, "149 ms is still within the quiet period");

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public void Without_signals_the_wait_never_completes()
    {
        var wait = _debouncer.WaitAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.False(wait.IsCompleted);
    }

    [Fact]
    public async Task Signals_that_settle_while_nobody_waits_are_kept_for_the_next_wait()
    {
        _debouncer.Signal();
        _time.Advance(Quiet);

        await _debouncer.WaitAsync(CancellationToken.None);

        var next = _debouncer.WaitAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(next.IsCompleted, "a settled burst is consumed by one wait");
    }

    [Fact]
    public void A_burst_still_in_progress_when_waiting_starts_completes_after_its_own_quiet_period()
    {
        _debouncer.Signal();
        _time.Advance(TimeSpan.FromMilliseconds(50));

        var wait = _debouncer.WaitAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Cancelling_the_wait_cancels_it_and_a_new_wait_may_start()
    {
        using var cancel = new CancellationTokenSource();
        var wait = _debouncer.WaitAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        var next = _debouncer.WaitAsync(CancellationToken.None);
        _debouncer.Signal();
        _time.Advance(Quiet);
        Assert.True(next.IsCompletedSuccessfully);
    }
}
