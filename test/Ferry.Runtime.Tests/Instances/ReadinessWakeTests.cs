using Ferry.Runtime.Instances;

namespace Ferry.Runtime.Tests.Instances;

public sealed class ReadinessWakeTests
{
    /// <summary>A poll that never comes: only a printed line can end a wait on it.</summary>
    private static Task NeverPolled() => new TaskCompletionSource().Task;

    /// <summary>A wait that must end early; a broken wake fails the test instead of hanging it.</summary>
    private static Task<bool> Early(Task<bool> waiting) => waiting.WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_line_printed_after_arming_ends_the_wait_before_the_poll()
    {
        var wake = new ReadinessWake();
        wake.Arm();
        var waiting = wake.WaitAsync(NeverPolled());
        Assert.False(waiting.IsCompleted);

        wake.Printed();

        Assert.True(await Early(waiting));
    }

    [Fact]
    public async Task A_line_printed_during_the_check_counts()
    {
        var wake = new ReadinessWake();
        wake.Arm();
        wake.Printed(); // while the check ran, before the wait

        Assert.True(await Early(wake.WaitAsync(NeverPolled())));
    }

    [Fact]
    public async Task The_wait_after_an_early_check_is_a_whole_poll_whatever_is_printed()
    {
        var wake = new ReadinessWake();
        wake.Arm();
        wake.Printed();
        Assert.True(await Early(wake.WaitAsync(NeverPolled())));

        wake.Arm();
        wake.Printed();
        var poll = new TaskCompletionSource();
        var waiting = wake.WaitAsync(poll.Task);
        Assert.False(waiting.IsCompleted);

        poll.SetResult();
        Assert.False(await waiting);

        // After a whole poll, a line may bring the next check forward again.
        wake.Arm();
        wake.Printed();
        Assert.True(await Early(wake.WaitAsync(NeverPolled())));
    }

    [Fact]
    public async Task Without_output_the_wait_is_the_poll()
    {
        var wake = new ReadinessWake();
        wake.Arm();
        Assert.False(await wake.WaitAsync(Task.CompletedTask));
    }

    [Fact]
    public async Task Lines_outside_a_start_do_nothing_and_a_canceled_poll_is_thrown()
    {
        var wake = new ReadinessWake();
        wake.Printed(); // never armed
        wake.Arm();
        wake.Disarm();
        wake.Printed();

        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wake.WaitAsync(Task.FromCanceled(canceled.Token)));
    }
}
