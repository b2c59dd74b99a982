using Ferry.Triggers.Async;

namespace Ferry.Triggers.Tests.Async;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 2, 10, 0, 0, TimeSpan.Zero);

    private static AsyncEvent Event(int attempts = 0, DateTimeOffset? enqueuedAt = null)
        => new(1, "r", Targets.Function(), "{}"u8.ToArray(), enqueuedAt ?? Start, enqueuedAt ?? Start, attempts, null, "lease");

    [Fact]
    public void Retries_back_off_one_then_two_minutes_like_lambda()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions());

        Assert.Equal(TimeSpan.FromMinutes(1), policy.DelayBefore(1));
        Assert.Equal(TimeSpan.FromMinutes(2), policy.DelayBefore(2));
        Assert.Equal(TimeSpan.FromMinutes(4), policy.DelayBefore(3));
    }

    [Fact]
    public void The_first_two_failures_are_retried_and_the_third_gives_up()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions());

        var first = policy.AfterFailure(Event(attempts: 0), Start, "boom");
        Assert.Equal(new FailureDecision(1, Start.AddMinutes(1), "boom"), first);

        var second = policy.AfterFailure(Event(attempts: 1), Start.AddMinutes(1), "boom");
        Assert.Equal(new FailureDecision(2, Start.AddMinutes(3), "boom"), second);

        var third = policy.AfterFailure(Event(attempts: 2), Start.AddMinutes(3), "boom");
        Assert.True(third.GivesUp);
        Assert.Equal(3, third.Attempts);
        Assert.Equal("boom", third.Error);
    }

    [Fact]
    public void A_functions_own_settings_replace_the_servers()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions());

        // maximumRetryAttempts: 0 on the function: the first failure is final.
        Assert.True(policy.AfterFailure(Event(), Start, "boom", new RetryOverrides(0, null)).GivesUp);

        // maximumEventAge: 90 s: the second retry (due at +3 min) would be too late.
        var shortLived = new RetryOverrides(null, TimeSpan.FromSeconds(90));
        Assert.False(policy.AfterFailure(Event(attempts: 0), Start, "boom", shortLived).GivesUp);
        var late = policy.AfterFailure(Event(attempts: 1), Start.AddMinutes(1), "boom", shortLived);
        Assert.True(late.GivesUp);
        Assert.Contains("maximum event age of 90 s", late.Error);
    }

    [Fact]
    public void Zero_retries_gives_up_after_the_first_failure()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions { MaximumRetryAttempts = 0 });

        Assert.True(policy.AfterFailure(Event(), Start, "boom").GivesUp);
    }

    [Fact]
    public void A_retry_that_would_be_past_the_maximum_event_age_is_not_scheduled()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions { MaximumEventAge = TimeSpan.FromMinutes(30) });

        var decision = policy.AfterFailure(Event(attempts: 0), Start.AddMinutes(29.5), "boom");

        Assert.True(decision.GivesUp);
        Assert.Equal("boom (no retry: it would be later than the maximum event age of 1800 s)", decision.Error);
    }

    [Fact]
    public void Events_older_than_the_maximum_age_are_expired()
    {
        var policy = new RetryPolicy(new AsyncInvocationOptions());

        Assert.False(policy.IsExpired(Event(), Start.AddHours(6)));
        Assert.True(policy.IsExpired(Event(), Start.AddHours(6).AddMilliseconds(1)));
    }
}
