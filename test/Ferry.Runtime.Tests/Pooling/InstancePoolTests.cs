using Ferry.Manifest;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.Quotas;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Pooling;

/// <summary>
/// The pool's scheduling on fake instances and a fake clock: scale-out, the maximum, the queue, scale to zero, failed
/// starts and the drain of a retired revision.
/// </summary>
public sealed class InstancePoolTests : IAsyncLifetime
{
    private FakeInstances _fakes = null!;

    public async Task InitializeAsync() => _fakes = await FakeInstances.CreateAsync(new RuntimeOptions
    {
        IdleTimeout = TimeSpan.FromMinutes(1),
        StartTimeout = TimeSpan.FromSeconds(10),
        MaxInstancesPerFunction = 3,
        QueueCapacityPerFunction = 4,
        EagerInstancesPerFunction = 3, // one instance per waiting request, as far as these tests go (see QueueingPool)
    });

    public async Task DisposeAsync() => await _fakes.DisposeAsync();

    private InstancePool Pool(FunctionScaling? scaling = null) => new(_fakes.Function(scaling), _fakes.Services, _fakes.Create);

    [Fact]
    public async Task Concurrent_requests_start_one_instance_each_and_get_different_instances()
    {
        await using var pool = Pool();

        var first = pool.AcquireAsync(CancellationToken.None).AsTask();
        var second = pool.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Equal(2, _fakes.Created.Count);
        Assert.False(first.IsCompleted);
        Assert.Equal(2, pool.QueueLength);

        foreach (var instance in _fakes.Created)
        {
            instance.CompleteStart();
        }

        var (a, b) = (await first, await second);
        Assert.True(a.Succeeded && b.Succeeded, $"{a} / {b}");
        Assert.NotSame(a.Value.Instance, b.Value.Instance);
        Assert.True(a.Value.ColdStart && b.Value.ColdStart);
        Assert.Equal(2, pool.InstanceCount);
        a.Value.Dispose();
        b.Value.Dispose();

        // Warm now: a request takes a running instance without starting another, and is no cold start.
        var third = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(third.Succeeded);
        Assert.False(third.Value.ColdStart);
        Assert.Equal(2, _fakes.Created.Count);
        third.Value.Dispose();
    }

    [Fact]
    public async Task The_pool_says_how_many_requests_it_has_in_flight_and_whether_an_instance_is_free()
    {
        await using var pool = Pool();
        Assert.False(pool.HasIdleSlot);
        Assert.Equal(0, pool.RequestsInFlight);

        var waiting = pool.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Equal(1, pool.RequestsInFlight); // waiting for its instance counts
        Assert.False(pool.HasIdleSlot);

        _fakes.Created[0].CompleteStart();
        var lease = await waiting;
        Assert.True(lease.Succeeded);
        Assert.Equal(1, pool.RequestsInFlight);
        Assert.False(pool.HasIdleSlot); // an event instance takes one request at a time

        lease.Value.Dispose();
        Assert.Equal(0, pool.RequestsInFlight);
        Assert.True(pool.HasIdleSlot);
    }

    [Fact]
    public async Task In_a_burst_the_first_instance_ready_serves_the_oldest_waiting_requests_whichever_request_started_it()
    {
        await using var pool = Pool();
        var requests = Enumerable.Range(0, 3).Select(_ => pool.AcquireAsync(CancellationToken.None).AsTask()).ToList();
        Assert.Equal(3, _fakes.Created.Count);

        // The instance started for the last request is ready first: the oldest request gets it, the others keep waiting.
        _fakes.Created[2].CompleteStart();
        var oldest = await requests[0];
        Assert.True(oldest.Succeeded);
        Assert.Same(_fakes.Created[2], oldest.Value.Instance);
        Assert.False(requests[1].IsCompleted || requests[2].IsCompleted);

        // Given back before the other instances are up, it serves the next request (no cold start) instead of leaving
        // that request to wait for "its own" instance.
        oldest.Value.Dispose();
        var next = await requests[1];
        Assert.Same(_fakes.Created[2], next.Value!.Instance);
        Assert.False(next.Value.ColdStart);
        Assert.False(requests[2].IsCompleted);
        next.Value.Dispose();
        var last = await requests[2];
        Assert.Same(_fakes.Created[2], last.Value!.Instance);
        last.Value.Dispose();
    }

    [Fact]
    public async Task No_more_instances_than_the_maximum_start_and_the_rest_wait_for_a_free_one()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool(new FunctionScaling { MaxInstances = 2 });

        var leases = new[] { pool.AcquireAsync(CancellationToken.None).AsTask(), pool.AcquireAsync(CancellationToken.None).AsTask() };
        var held = (await Task.WhenAll(leases)).Select(r => r.Value!).ToList();
        var waiting = pool.AcquireAsync(CancellationToken.None).AsTask();

        Assert.Equal(2, _fakes.Created.Count);
        Assert.Equal(1, pool.QueueLength);
        Assert.False(waiting.IsCompleted);

        held[1].Dispose();
        var third = await waiting;
        Assert.True(third.Succeeded);
        Assert.Same(held[1].Instance, third.Value.Instance);
        Assert.Equal(2, _fakes.Created.Count);
        third.Value.Dispose();
        held[0].Dispose();
    }

    [Fact]
    public async Task The_server_option_caps_instances_of_a_function_that_sets_no_maximum()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool();

        // Three requests at once get an instance each (starts finish after the requests that asked for them, so a
        // fourth and fifth sent at the same moment could find the queue of 4 full: they come once the three are up).
        var served = (await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => pool.AcquireAsync(CancellationToken.None).AsTask())))
            .Select(result => result.Value!).ToList();
        var waiting = Enumerable.Range(0, 2).Select(_ => pool.AcquireAsync(CancellationToken.None).AsTask()).ToList();

        Assert.Equal(3, _fakes.Created.Count); // MaxInstancesPerFunction
        Assert.Equal(2, pool.QueueLength);
        Assert.All(waiting, request => Assert.False(request.IsCompleted));
        foreach (var lease in served)
        {
            lease.Dispose();
        }

        foreach (var rest in waiting)
        {
            (await rest).Value!.Dispose();
        }
    }

    [Fact]
    public async Task A_full_queue_answers_queue_full_and_a_request_that_waits_too_long_times_out()
    {
        await using var pool = Pool(new FunctionScaling { MaxInstances = 1 });

        var queued = Enumerable.Range(0, 4).Select(_ => pool.AcquireAsync(CancellationToken.None).AsTask()).ToList();
        var refused = await pool.AcquireAsync(CancellationToken.None);

        Assert.Equal(PoolErrorKind.QueueFull, refused.Error?.Kind);
        Assert.Contains("4 requests are already waiting", refused.Error!.Message);

        // The one instance never becomes ready: after the start timeout + function timeout + 5 s every request gives up.
        _fakes.Time.Advance(TimeSpan.FromSeconds(10 + 30 + 5));
        foreach (var request in queued)
        {
            Assert.Equal(PoolErrorKind.TimedOut, (await request).Error?.Kind);
        }

        Assert.Equal(0, pool.QueueLength);
    }

    [Fact]
    public async Task A_caller_that_goes_away_leaves_the_queue()
    {
        await using var pool = Pool(new FunctionScaling { MaxInstances = 1 });
        using var gone = new CancellationTokenSource();

        var request = pool.AcquireAsync(gone.Token).AsTask();
        await gone.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        Assert.Equal(0, pool.QueueLength);
    }

    [Fact]
    public async Task An_instance_idle_past_the_idle_timeout_is_stopped_and_the_next_request_starts_a_new_one()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool();
        var lease = (await pool.AcquireAsync(CancellationToken.None)).Value!;
        var instance = (FakeInstance)lease.Instance;
        lease.Dispose();

        _fakes.Time.Advance(TimeSpan.FromSeconds(30));
        await pool.ReapIdleAsync();
        Assert.Equal(1, pool.InstanceCount); // half the idle timeout: still warm

        _fakes.Time.Advance(TimeSpan.FromSeconds(31));
        await FakeInstances.EventuallyAsync(() =>
        {
            _fakes.Time.Advance(TimeSpan.FromSeconds(1)); // the reaper's timer ticks every 5 s of the fake clock
            return pool.InstanceCount == 0;
        }, "the idle instance is reaped by the pool's timer");
        await FakeInstances.EventuallyAsync(() => instance.Stopped, "the idle instance is stopped");

        var next = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(next.Succeeded);
        Assert.NotSame(instance, next.Value.Instance);
        Assert.True(next.Value.ColdStart);
        next.Value.Dispose();
    }

    [Fact]
    public async Task The_warm_minimum_starts_before_any_request_and_is_never_reaped()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool(new FunctionScaling { MinInstances = 1 });
        await FakeInstances.EventuallyAsync(() => pool.InstanceCount == 1, "the minimum is started");

        _fakes.Time.Advance(TimeSpan.FromMinutes(10));
        await pool.ReapIdleAsync();

        Assert.Equal(1, pool.InstanceCount);
        Assert.False(_fakes.Created[0].Stopped);
    }

    [Fact]
    public async Task A_failed_start_fails_the_oldest_waiting_request_with_its_reason_and_the_next_one_gets_a_fresh_instance()
    {
        await using var pool = Pool(new FunctionScaling { MaxInstances = 1 });

        var first = pool.AcquireAsync(CancellationToken.None).AsTask();
        var second = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Created[0].FailStart("the handler module was not found");

        var failed = await first;
        Assert.Equal(PoolErrorKind.StartFailed, failed.Error?.Kind);
        Assert.Equal("the handler module was not found", failed.Error!.Message);

        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a fresh instance starts for the second request");
        Assert.False(second.IsCompleted);
        _fakes.Created[1].CompleteStart();
        var served = await second;
        Assert.True(served.Succeeded, served.ToString());
        Assert.Same(_fakes.Created[1], served.Value.Instance);
        served.Value.Dispose();
    }

    [Fact]
    public async Task A_crashed_instance_is_dropped_and_replaced_for_the_next_request()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool();
        (await pool.AcquireAsync(CancellationToken.None)).Value!.Dispose();

        _fakes.Created[0].Crash();
        await FakeInstances.EventuallyAsync(() => pool.InstanceCount == 0, "the crashed instance is dropped");

        var next = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(next.Succeeded);
        Assert.Same(_fakes.Created[1], next.Value.Instance);
        next.Value.Dispose();
    }

    [Fact]
    public async Task A_retired_pool_finishes_its_in_flight_and_queued_requests_before_stopping_its_instances()
    {
        _fakes.StartAtOnce = true;
        var pool = Pool(new FunctionScaling { MaxInstances = 1 });
        var inFlight = (await pool.AcquireAsync(CancellationToken.None)).Value!;
        var queued = pool.AcquireAsync(CancellationToken.None).AsTask();
        var instance = (FakeInstance)inFlight.Instance;

        var drain = pool.DrainAsync();

        // Requests routed just before the switch are still taken during the grace period.
        var late = pool.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Equal(2, pool.QueueLength);
        _fakes.Time.Advance(InstancePool.DrainGracePeriod);
        await FakeInstances.EventuallyAsync(() => !pool.TakesRequests, "the grace period is over");

        // After it, new requests are refused, but nothing held is dropped, however long it takes (within the bound).
        Assert.Equal(PoolErrorKind.Retired, (await pool.AcquireAsync(CancellationToken.None)).Error?.Kind);
        _fakes.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(drain.IsCompleted);
        Assert.False(instance.Stopped);

        inFlight.Dispose();
        var second = await queued;
        Assert.True(second.Succeeded, second.ToString());
        Assert.Same(instance, second.Value.Instance);
        second.Value.Dispose();
        var third = await late;
        Assert.True(third.Succeeded, third.ToString());
        Assert.False(drain.IsCompleted);
        Assert.False(instance.Stopped);

        third.Value.Dispose();
        await drain;
        Assert.True(instance.Stopped);
        Assert.Equal(0, pool.InstanceCount);
    }

    [Fact]
    public async Task A_retired_pool_with_nothing_to_finish_stops_after_the_grace_period()
    {
        _fakes.StartAtOnce = true;
        var pool = Pool(new FunctionScaling { MinInstances = 1 });
        await FakeInstances.EventuallyAsync(() => pool.InstanceCount == 1, "the minimum is started");

        var drain = pool.DrainAsync();
        Assert.False(drain.IsCompleted);
        _fakes.Time.Advance(InstancePool.DrainGracePeriod);
        await drain;

        Assert.True(_fakes.Created[0].Stopped);
        Assert.Equal(PoolErrorKind.Retired, (await pool.AcquireAsync(CancellationToken.None)).Error?.Kind);
    }

    [Fact]
    public async Task A_drain_that_never_ends_is_cut_at_its_bound()
    {
        _fakes.StartAtOnce = true;
        var pool = Pool();
        var stuck = (await pool.AcquireAsync(CancellationToken.None)).Value!;

        var drain = pool.DrainAsync();
        _fakes.Time.Advance(InstancePool.DrainGracePeriod);
        await FakeInstances.EventuallyAsync(() => !pool.TakesRequests, "the grace period is over");
        _fakes.Time.Advance(TimeSpan.FromSeconds(10 + 30 + 5 + 30)); // patience + the function's timeout
        await drain;

        Assert.True(((FakeInstance)stuck.Instance).Stopped);
        stuck.Dispose();
    }

    private sealed class FixedLimits(TenantLimits limits) : ITenantLimitSource
    {
        public TenantLimits For(string tenant) => limits;
    }

    [Fact]
    public async Task A_new_revision_refused_a_quota_place_waits_for_the_retired_one_to_hand_its_places_over()
    {
        _fakes.StartAtOnce = true;
        var admission = new TenantAdmission(new FixedLimits(new TenantLimits(MaxInstances: 2, MaxMemoryMb: 1024, MaxLogBytesPerDay: 0)));
        var services = _fakes.Services with { Admission = admission };
        var old = new InstancePool(_fakes.Function(), services, _fakes.Create);
        var busy = (await old.AcquireAsync(CancellationToken.None)).Value!;
        var alsoBusy = (await old.AcquireAsync(CancellationToken.None)).Value!;
        Assert.Equal(2, admission.UsageOf("default").Instances);

        // The switch: the old pool is announced as retiring, then the new one takes requests while the old one holds
        // every place of the tenant. Its requests wait instead of failing with quota_exceeded.
        var replacement = new InstancePool(_fakes.Function(), services, _fakes.Create);
        old.AnnounceRetirement();
        var first = replacement.AcquireAsync(CancellationToken.None).AsTask();
        var second = replacement.AcquireAsync(CancellationToken.None).AsTask();
        var drain = old.DrainAsync();
        Assert.False(first.IsCompleted);

        // Each old instance is stopped as soon as it has finished its request, and its place goes to the new revision.
        busy.Dispose();
        var got = await first;
        Assert.True(got.Succeeded, got.ToString());
        await FakeInstances.EventuallyAsync(() => ((FakeInstance)busy.Instance).Stopped, "the old instance is stopped");
        alsoBusy.Dispose();
        var gotToo = await second;
        Assert.True(gotToo.Succeeded, gotToo.ToString());
        Assert.NotSame(got.Value.Instance, gotToo.Value.Instance);
        Assert.Equal(2, admission.UsageOf("default").Instances);

        // A request still routed to the retired pool is not served by a cold start of replaced code: it is told to go on.
        Assert.Equal(PoolErrorKind.Retired, (await old.AcquireAsync(CancellationToken.None)).Error?.Kind);
        _fakes.Time.Advance(InstancePool.DrainGracePeriod);
        await drain;
        got.Value.Dispose();
        gotToo.Value.Dispose();
        await replacement.DisposeAsync();
        Assert.Equal(0, admission.UsageOf("default").Instances);
    }

    [Fact]
    public async Task Without_a_retiring_pool_a_request_refused_its_first_instance_fails_with_the_quota_at_once()
    {
        var admission = new TenantAdmission(new FixedLimits(new TenantLimits(MaxInstances: 0, MaxMemoryMb: 1024, MaxLogBytesPerDay: 0)));
        await using var pool = new InstancePool(_fakes.Function(), _fakes.Services with { Admission = admission }, _fakes.Create);
        Assert.Equal(PoolErrorKind.QuotaExceeded, (await pool.AcquireAsync(CancellationToken.None)).Error?.Kind);
    }

    [Fact]
    public async Task Prewarming_starts_instances_before_traffic_and_their_first_requests_are_not_cold()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool();
        Assert.Equal(3, await pool.PrewarmAsync(5, CancellationToken.None)); // capped at the maximum
        var lease = (await pool.AcquireAsync(CancellationToken.None)).Value!;
        Assert.False(lease.ColdStart);
        Assert.Equal(3, _fakes.Created.Count);
        lease.Dispose();
    }

    [Fact]
    public async Task Prewarmed_instances_start_in_the_background_and_come_to_the_foreground_with_the_first_request()
    {
        await using var pool = Pool();
        var prewarm = pool.PrewarmAsync(2, CancellationToken.None);
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2 && _fakes.Created.All(i => i.StartRequested), "two starts");
        _fakes.Time.Advance(TimeSpan.FromSeconds(3));
        foreach (var instance in _fakes.Created)
        {
            instance.CompleteStart();
        }

        Assert.Equal(2, await prewarm);
        Assert.All(_fakes.Created, instance => Assert.Equal(CpuPriority.Background, instance.ProcessCpuPriority));
        // A start in the background took as long as others left the cores idle: it is not the function's pace.
        Assert.Null(_fakes.Services.Paces.For(pool.Function).Start);

        using var lease = (await pool.AcquireAsync(CancellationToken.None)).Value!;

        Assert.All(_fakes.Created, instance => Assert.Equal(CpuPriority.Normal, instance.ProcessCpuPriority));
    }

    [Fact]
    public async Task A_prewarmed_instance_still_starting_when_traffic_comes_is_up_in_the_foreground()
    {
        await using var pool = Pool();
        var prewarm = pool.PrewarmAsync(2, CancellationToken.None);
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2 && _fakes.Created.All(i => i.StartRequested), "two starts");
        _fakes.Created[0].CompleteStart();
        await FakeInstances.EventuallyAsync(() => pool.InstanceCount == 1, "the first instance up");

        using var lease = (await pool.AcquireAsync(CancellationToken.None)).Value!;
        Assert.Equal(CpuPriority.Normal, _fakes.Created[0].ProcessCpuPriority);
        _fakes.Created[1].CompleteStart();
        Assert.Equal(2, await prewarm);

        Assert.Equal(CpuPriority.Normal, _fakes.Created[1].ProcessCpuPriority);
    }

    [Fact]
    public async Task Instances_started_for_requests_keep_the_normal_cpu_priority()
    {
        _fakes.StartAtOnce = true;
        await using var pool = Pool();
        using var lease = (await pool.AcquireAsync(CancellationToken.None)).Value!;
        Assert.Equal(2, await pool.PrewarmAsync(2, CancellationToken.None));

        Assert.All(_fakes.Created, instance => Assert.Null(instance.ProcessCpuPriority));
    }

    /// <summary>A pool that starts one instance for waiting requests and then queues them (<see cref="RuntimeOptions.EagerInstancesPerFunction"/>).</summary>
    private InstancePool QueueingPool(IMachineCpu? cpu = null) =>
        new(_fakes.Function(), _fakes.Services with { Cpu = cpu, Options = _fakes.Services.Options with { EagerInstancesPerFunction = 1 } }, _fakes.Create);

    /// <summary>Gives back the lease in hand and every queued request's lease once it is served.</summary>
    private static async Task ReleaseAllAsync(InstanceLease inHand, IEnumerable<Task<PoolResult<InstanceLease>>> waiting)
    {
        inHand.Dispose();
        foreach (var request in waiting)
        {
            (await request).Value!.Dispose();
        }
    }

    /// <summary>Serves a first request whose instance takes <paramref name="start"/> on the fake clock to start, which becomes the function's pace.</summary>
    private async Task<InstanceLease> FirstLeaseAsync(InstancePool pool, TimeSpan start)
    {
        var first = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(start);
        _fakes.Created[^1].CompleteStart();
        var lease = (await first).Value!;
        Assert.Equal(start, _fakes.Services.Paces.For(pool.Function).Start);
        _fakes.StartAtOnce = true;
        return lease;
    }

    [Fact]
    public async Task Beyond_the_eager_instances_a_request_waits_for_a_busy_one_while_the_queue_moves()
    {
        await using var pool = QueueingPool();
        var busy = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));

        var waiting = pool.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Single(_fakes.Created);
        Assert.False(waiting.IsCompleted);

        busy.Dispose();
        var next = (await waiting).Value!;
        Assert.Same(busy.Instance, next.Instance);
        Assert.False(next.ColdStart);
        Assert.Single(_fakes.Created);
        next.Dispose();
    }

    [Fact]
    public async Task A_queue_that_stands_still_as_long_as_a_start_takes_gets_another_instance()
    {
        await using var pool = QueueingPool();
        var stuck = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));

        var waiting = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Single(_fakes.Created);
        Assert.False(waiting.IsCompleted);

        _fakes.Time.Advance(TimeSpan.FromMilliseconds(1));
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        var served = (await waiting).Value!;
        Assert.NotSame(stuck.Instance, served.Instance);
        served.Dispose();
        stuck.Dispose();
    }

    [Fact]
    public async Task Each_slot_the_queue_hands_out_restarts_the_wait_for_another_instance()
    {
        await using var pool = QueueingPool();
        var busy = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));
        var second = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(30));
        busy.Dispose(); // the queue moves: the second request takes the instance
        var secondLease = (await second).Value!;

        var third = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(30)); // 60 ms since the second request queued, 30 since the queue moved
        Assert.Single(_fakes.Created);
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(20));
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        (await third).Value!.Dispose();
        secondLease.Dispose();
    }

    [Fact]
    public async Task A_queue_that_moves_but_never_empties_for_four_starts_gets_another_instance()
    {
        await using var pool = QueueingPool();
        var busy = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));
        var waiting = new Queue<Task<PoolResult<InstanceLease>>>();
        waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());
        waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());

        // Every 10 ms a request finishes and another arrives: two always wait, and the queue moves all the time.
        for (var elapsed = 10; elapsed < 200; elapsed += 10)
        {
            _fakes.Time.Advance(TimeSpan.FromMilliseconds(10));
            busy.Dispose();
            busy = (await waiting.Dequeue()).Value!;
            waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());
            Assert.True(_fakes.Created.Count == 1, $"another instance after {elapsed} ms");
        }

        _fakes.Time.Advance(TimeSpan.FromMilliseconds(10)); // 200 ms = 4 starts without an empty queue
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        await ReleaseAllAsync(busy, waiting);
    }

    [Fact]
    public async Task Sustained_load_adds_no_instance_while_every_core_is_busy_and_does_once_one_is_idle()
    {
        var cpu = new FakeMachineCpu { IdleCores = 0.1 };
        await using var pool = QueueingPool(cpu);
        var busy = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));
        var waiting = new Queue<Task<PoolResult<InstanceLease>>>();
        waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());
        waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());

        // The queue moves every 10 ms and never empties, as in the test above, for eight starts' time: with a tenth of
        // a core idle no instance is added (the cores, not the instances, are what the queue waits for).
        async Task MoveQueueAsync(int milliseconds)
        {
            for (var elapsed = 0; elapsed < milliseconds; elapsed += 10)
            {
                _fakes.Time.Advance(TimeSpan.FromMilliseconds(10));
                busy.Dispose();
                busy = (await waiting.Dequeue()).Value!;
                waiting.Enqueue(pool.AcquireAsync(CancellationToken.None).AsTask());
            }
        }

        await MoveQueueAsync(400);
        Assert.Single(_fakes.Created);

        // Half a core idle (the default threshold): the next four starts of sustained load add one.
        cpu.IdleCores = 0.5;
        await MoveQueueAsync(200);
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        await ReleaseAllAsync(busy, waiting);
    }

    [Fact]
    public async Task A_queue_that_stands_still_gets_another_instance_even_while_every_core_is_busy()
    {
        await using var pool = QueueingPool(new FakeMachineCpu { IdleCores = 0 });
        var stuck = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));

        var waiting = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(50));
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        (await waiting).Value!.Dispose();
        stuck.Dispose();
    }

    private sealed class FakeMachineCpu : IMachineCpu
    {
        public double? IdleCores { get; set; }
    }

    [Fact]
    public async Task A_queue_three_quarters_full_gets_another_instance_at_once()
    {
        await using var pool = QueueingPool(); // its queue holds 4
        var busy = await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50));

        var waiting = Enumerable.Range(0, 2).Select(_ => pool.AcquireAsync(CancellationToken.None).AsTask()).ToList();
        Assert.Single(_fakes.Created);
        waiting.Add(pool.AcquireAsync(CancellationToken.None).AsTask());
        // At once, without waiting for the pace: instances for the waiting requests (two here, with the busy one three),
        // all started before any is up (a start always finishes after the request that asked for it returns).
        Assert.Equal(3, _fakes.Created.Count);

        var served = (await waiting[0]).Value!;
        Assert.NotSame(busy.Instance, served.Instance);
        served.Dispose();
        busy.Dispose();
        foreach (var request in waiting.Skip(1))
        {
            (await request).Value!.Dispose();
        }
    }

    [Fact]
    public async Task While_the_eager_instances_are_still_starting_the_queue_waits_for_them()
    {
        await using var pool = QueueingPool();
        (await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50))).Dispose();
        _fakes.Created[0].Crash(); // gone: the next requests start from nothing
        await FakeInstances.EventuallyAsync(() => pool.InstanceCount == 0, "the instance is gone");
        _fakes.StartAtOnce = false;

        var first = pool.AcquireAsync(CancellationToken.None).AsTask();
        var second = pool.AcquireAsync(CancellationToken.None).AsTask();
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(80)); // longer than a start, but nothing is up to move the queue
        Assert.Equal(2, _fakes.Created.Count);

        _fakes.Created[1].CompleteStart();
        var a = (await first).Value!;
        a.Dispose();
        var b = (await second).Value!;
        Assert.Same(a.Instance, b.Instance);
        b.Dispose();
        Assert.Equal(2, _fakes.Created.Count);
    }

    [Fact]
    public async Task A_function_never_started_waits_for_its_eager_instances_and_learns_its_start_time_from_the_first()
    {
        await using var pool = QueueingPool();
        var first = pool.AcquireAsync(CancellationToken.None).AsTask();
        var second = pool.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Single(_fakes.Created); // nothing known of its start time, and yet only the eager instance

        _fakes.Time.Advance(TimeSpan.FromMilliseconds(30));
        _fakes.Created[0].CompleteStart();
        var busy = (await first).Value!;
        Assert.Equal(TimeSpan.FromMilliseconds(30), _fakes.Services.Paces.For(pool.Function).Start);
        Assert.False(second.IsCompleted);
        _fakes.StartAtOnce = true;

        // The first request may resume before the pool has looked at its queue again (under its lock, on the thread
        // that started the instance); reading InstanceCount takes that lock, so the clock moves only after that look.
        Assert.Equal(1, pool.InstanceCount);
        _fakes.Time.Advance(TimeSpan.FromMilliseconds(30)); // the queue stood still for a start's time
        await FakeInstances.EventuallyAsync(() => _fakes.Created.Count == 2, "a second instance started");
        (await second).Value!.Dispose();
        busy.Dispose();
    }

    [Fact]
    public async Task A_new_revision_starts_from_its_predecessors_pace_and_other_functions_from_none()
    {
        var function = _fakes.Function();
        await using (var pool = QueueingPool())
        {
            (await FirstLeaseAsync(pool, TimeSpan.FromMilliseconds(50))).Dispose();
        }

        var next = _fakes.Services.Paces.For(function with { RevisionId = function.RevisionId + 1, RevisionNumber = 2 });
        Assert.Equal(TimeSpan.FromMilliseconds(50), next.Start);
        Assert.Null(_fakes.Services.Paces.For(function with { Function = function.Function with { Name = "other" } }).Start);
    }
}
