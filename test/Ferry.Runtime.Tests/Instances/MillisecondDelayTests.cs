using System.Diagnostics;
using Ferry.Runtime.Instances;

namespace Ferry.Runtime.Tests.Instances;

// No upper bounds on how long a delay takes: the machines that run these tests are shared and noisy.
public sealed class MillisecondDelayTests
{
    [Fact]
    public async Task A_delay_never_ends_before_its_time()
    {
        foreach (var milliseconds in new[] { 1, 2, 5, 1, 3 })
        {
            var started = Stopwatch.GetTimestamp();
            await MillisecondDelay.Delay(TimeSpan.FromMilliseconds(milliseconds), CancellationToken.None);
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(milliseconds),
                $"a {milliseconds} ms delay ended after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.000} ms");
        }
    }

    [Fact]
    public async Task A_shorter_delay_queued_after_a_longer_one_ends_first()
    {
        var started = Stopwatch.GetTimestamp();
        var longer = MillisecondDelay.Delay(MillisecondDelay.MaxDelay, CancellationToken.None);
        var shorter = MillisecondDelay.Delay(TimeSpan.FromMilliseconds(2), CancellationToken.None);
        var queuedWithin = Stopwatch.GetElapsedTime(started);

        // WhenAny answers with the first task to end; were both over before it is called, it would answer the first
        // argument. Only a test thread stalled for most of MaxDelay between the two calls (a loaded machine) gives the
        // shorter delay the later deadline; then there is nothing to check.
        var first = await Task.WhenAny(shorter, longer);
        if (queuedWithin < MillisecondDelay.MaxDelay - TimeSpan.FromMilliseconds(2))
        {
            Assert.Same(shorter, first);
        }

        await longer;
    }

    [Fact]
    public async Task A_delay_canceled_before_its_deadline_ends_as_canceled_and_the_others_still_elapse()
    {
        using var cancel = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        var canceled = MillisecondDelay.Delay(MillisecondDelay.MaxDelay, cancel.Token);
        var other = MillisecondDelay.Delay(TimeSpan.FromMilliseconds(3), CancellationToken.None);

        await cancel.CancelAsync();
        var canceledAfter = Stopwatch.GetElapsedTime(started);

        try
        {
            await canceled;
            // Only a test thread stalled past the deadline (a loaded machine) lets the delay elapse first.
            Assert.True(canceledAfter >= MillisecondDelay.MaxDelay, $"a delay canceled {canceledAfter.TotalMilliseconds:0.0} ms into {MillisecondDelay.MaxDelay.TotalMilliseconds} ms ended as elapsed");
        }
        catch (OperationCanceledException exception)
        {
            Assert.Equal(cancel.Token, exception.CancellationToken);
        }

        await other;
        Assert.True(MillisecondDelay.Delay(TimeSpan.FromMilliseconds(1), cancel.Token).IsCanceled);
    }

    [Fact]
    public async Task Zero_and_long_delays_need_no_timer_thread()
    {
        Assert.True(MillisecondDelay.Delay(TimeSpan.Zero, CancellationToken.None).IsCompletedSuccessfully);

        // A longer delay is Task.Delay's, which counts on the coarse clock and may end up to one tick (4 ms at HZ=250)
        // early by the Stopwatch: only that it waited is checked.
        var started = Stopwatch.GetTimestamp();
        await MillisecondDelay.Delay(MillisecondDelay.MaxDelay + TimeSpan.FromMilliseconds(20), CancellationToken.None);
        Assert.True(Stopwatch.GetElapsedTime(started) >= MillisecondDelay.MaxDelay, $"a {MillisecondDelay.MaxDelay.TotalMilliseconds + 20} ms delay ended after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms");
    }
}
