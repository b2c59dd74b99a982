using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Quotas;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Pooling;

/// <summary>
/// The instances of one function revision. Requests take a free instance slot; when there is none, they wait in a
/// bounded FIFO queue while the pool starts instances (up to the maximum) in parallel. Instances idle past the idle
/// timeout are stopped (scale to zero); crashed ones are dropped and replaced on demand. Expected failures (queue full,
/// no slot in time, a failed start, a quota) come back as a <see cref="PoolError"/>; all time is the services'
/// <see cref="TimeProvider"/>. A retired pool (its revision was replaced) drains: it finishes what it holds, then stops.
/// While it drains it still holds its tenant's quota places; when another pool of the tenant is refused one (the new
/// revision under load), the retired pool yields: it stops every instance that serves nothing, now and as each
/// finishes, and answers <see cref="PoolErrorKind.Retired"/> to a late request it has no free instance for (the
/// gateway sends that one to the new revision) rather than starting a cold instance of replaced code.
/// </summary>
public sealed partial class InstancePool : IAsyncDisposable, IPlaceTaker
{
    private readonly Lock _gate = new();
    private readonly List<FunctionInstance> _instances = [];
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly InstanceServices _services;
    private readonly Func<FunctionRevision, InstanceServices, FunctionInstance>? _createInstance;
    private readonly ILogger<InstancePool> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _reaper;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PoolState _state;
    private int _starting;
    private int _consecutiveStartFailures;
    private int _youngExits;
    private bool _minimumRefusalLogged;
    private bool _yielding;
    private readonly FunctionPace _pace;

    /// <summary>Looks at the queue again when it may have stood still, or stayed non-empty, long enough for another instance.</summary>
    private ITimer? _queueCheck;

    /// <summary>When the queue last moved: a waiting request was given a slot (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    private long _queueMovedAt;

    /// <summary>Since when the queue has not been empty, or since the last instance started because of that.</summary>
    private long _queueBusySince;

    public InstancePool(FunctionRevision function, InstanceServices services,
        Func<FunctionRevision, InstanceServices, FunctionInstance>? createInstance = null)
    {
        Function = function;
        _services = services;
        _createInstance = createInstance;
        _pace = services.Paces.For(function);
        _logger = services.LoggerFactory.CreateLogger<InstancePool>();
        _reaper = Task.Run(ReapIdleLoopAsync);
        lock (_gate)
        {
            StartInstancesIfNeeded(); // minInstances: warm before the first request
        }
    }

    public FunctionRevision Function { get; }

    /// <summary>How long a retired pool keeps accepting requests that were routed to it before the switch.</summary>
    internal static readonly TimeSpan DrainGracePeriod = TimeSpan.FromSeconds(1);

    private TimeProvider Time => _services.Time;

    /// <summary>How long a request waits for a slot: a whole start plus a whole invocation of another request, and some.</summary>
    private TimeSpan Patience => Options.StartTimeout + TimeSpan.FromSeconds(Function.Function.Timeout) + TimeSpan.FromSeconds(5);

    /// <summary>Whether new requests are still taken: false once a retired pool's grace period is over, or it was stopped.</summary>
    public bool TakesRequests
    {
        get { lock (_gate) { return _state is PoolState.Serving or PoolState.Retiring; } }
    }

    public int InstanceCount
    {
        get { lock (_gate) { return _instances.Count; } }
    }

    public int QueueLength
    {
        get { lock (_gate) { return _waiters.Count; } }
    }

    /// <summary>Whether one of the pool's instances could take a request right now without queueing it.</summary>
    public bool HasIdleSlot
    {
        get { lock (_gate) { return FindFreeInstance() is not null; } }
    }

    /// <summary>Requests being served by the pool's instances or waiting for one, right now.</summary>
    public int RequestsInFlight
    {
        get
        {
            lock (_gate)
            {
                var serving = 0;
                foreach (var instance in _instances)
                {
                    serving += instance.InFlight;
                }

                return serving + _waiters.Count;
            }
        }
    }

    private RuntimeOptions Options => _services.Options;

    private FunctionScaling Scaling => Function.Function.Scaling;

    private int MaxInstances => Scaling.MaxInstances ?? Options.MaxInstancesPerFunction;

    private TimeSpan IdleTimeout => Scaling.KeepWarmSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Options.IdleTimeout;

    /// <summary>
    /// A new instance. One started for a waiting request takes over a stem cell when the function fits one: that is
    /// the cold start a caller waits for. Warm minimums and test factories start processes of their own.
    /// </summary>
    private FunctionInstance CreateInstance(bool forWaitingRequest)
    {
        if (_createInstance is not null)
        {
            return _createInstance(Function, _services);
        }

        if (Function.Function.Kind == FunctionKind.Web)
        {
            return forWaitingRequest && _services.StemCells?.TryTake(Function) is { } webCell
                ? new WebFunctionInstance(Function, _services, webCell)
                : new WebFunctionInstance(Function, _services);
        }

        return forWaitingRequest && _services.StemCells?.TryTake(Function) is { } cell
            ? new EventFunctionInstance(Function, _services, cell)
            : new EventFunctionInstance(Function, _services);
    }

    /// <summary>
    /// A slot on a ready instance, or why there is none: <see cref="PoolErrorKind.QueueFull"/> when too many requests
    /// already wait, <see cref="PoolErrorKind.StartFailed"/> when the instance started for this request failed,
    /// <see cref="PoolErrorKind.TimedOut"/> when no slot freed up in time, <see cref="PoolErrorKind.QuotaExceeded"/>,
    /// and <see cref="PoolErrorKind.Retired"/> once the pool no longer takes requests. Throws only when
    /// <paramref name="cancellationToken"/> is cancelled (the caller went away).
    /// </summary>
    public ValueTask<PoolResult<InstanceLease>> AcquireAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_state is PoolState.Closed or PoolState.Stopped)
            {
                return ValueTask.FromResult<PoolResult<InstanceLease>>(PoolError.Retired(Function));
            }

            var free = FindFreeInstance();
            if (free is not null)
            {
                return ValueTask.FromResult<PoolResult<InstanceLease>>(TakeSlot(free));
            }

            if (_yielding)
            {
                return ValueTask.FromResult<PoolResult<InstanceLease>>(PoolError.Retired(Function));
            }

            if (_waiters.Count >= Options.QueueCapacityPerFunction)
            {
                return ValueTask.FromResult<PoolResult<InstanceLease>>(PoolError.QueueFull(Function, Options.QueueCapacityPerFunction));
            }

            waiter = new Waiter(Time.GetTimestamp());
            if (_waiters.Count == 0)
            {
                _queueBusySince = waiter.QueuedAt;
            }

            waiter.Node = _waiters.AddLast(waiter);
            StartInstancesIfNeeded();
            if (waiter.Task.IsCompleted)
            {
                return new ValueTask<PoolResult<InstanceLease>>(waiter.Task); // refused by a quota at once
            }
        }

        return WaitAsync(waiter, cancellationToken);
    }

    private async ValueTask<PoolResult<InstanceLease>> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        var patience = Patience;
        using var timeout = new CancellationTokenSource(patience, Time);
        await using var onTimeout = timeout.Token.Register(() => Abandon(waiter, PoolError.TimedOut(Function, patience)));
        await using var onCancel = cancellationToken.Register(() => Abandon(waiter, null));
        return await waiter.Task;
    }

    /// <summary>
    /// Invokes an event function once: takes an instance, sends the event, gives the instance back. With
    /// <paramref name="continueOnAnswerThread"/> the caller continues on the thread that answered the invocation (the
    /// gateway, whose continuation only writes the response); see <see cref="PendingInvocation"/>.
    /// </summary>
    public async Task<PoolResult<InvocationResult>> InvokeAsync(string requestId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken,
        bool continueOnAnswerThread = false)
    {
        var acquired = await AcquireAsync(cancellationToken);
        if (!acquired.Succeeded)
        {
            return acquired.Error;
        }

        using var lease = acquired.Value;
        var instance = (EventFunctionInstance)lease.Instance;
        return await instance.InvokeAsync(requestId, payload, lease.ColdStart, continueOnAnswerThread);
    }

    /// <summary>
    /// Before a new revision takes over from a warm one: starts instances until the pool has <paramref name="count"/>
    /// (at most its maximum, as far as the tenant's quota admits them) and waits until they are ready or failed, so
    /// the requests switched to it find warm instances instead of all waiting for cold starts at once. Their first
    /// requests are not cold starts (no request waited for them). Returns how many instances are ready.
    /// </summary>
    public async Task<int> PrewarmAsync(int count, CancellationToken cancellationToken)
    {
        List<Task> starts = [];
        lock (_gate)
        {
            while (_state == PoolState.Serving && _instances.Count + _starting < Math.Min(count, MaxInstances)
                   && TryAdmitInstance(forWaitingRequest: false))
            {
                _starting++;
                starts.Add(StartInstanceAsync(forWaitingRequest: true, prewarm: true));
            }
        }

        await Task.WhenAll(starts).WaitAsync(cancellationToken);
        return InstanceCount;
    }

    /// <summary>
    /// Whether the pool has served a request. Until then (a redeploy's revision warming up while the one it replaces
    /// serves the traffic) <see cref="PrewarmAsync"/> starts instances at <see cref="CpuPriority.Background"/>, so that
    /// their starts take the cores only when the serving revision leaves them idle. Guarded by the pool's lock.
    /// </summary>
    private bool _takesTraffic;

    /// <summary>
    /// The first request: instances warmed up before come to the foreground (and so do those still starting, once
    /// they are up). Caller holds the lock.
    /// </summary>
    private void TakeTraffic()
    {
        _takesTraffic = true;
        foreach (var instance in _instances)
        {
            instance.SetCpuPriority(CpuPriority.Normal);
        }
    }

    private FunctionInstance? FindFreeInstance()
    {
        FunctionInstance? best = null;
        foreach (var instance in _instances)
        {
            // Prefer the busiest instance that still has room: keeps the others idle so they can be reaped.
            if (instance.IsAlive && instance.InFlight < instance.Capacity && (best is null || instance.InFlight > best.InFlight))
            {
                best = instance;
            }
        }

        return best;
    }

    private InstanceLease TakeSlot(FunctionInstance instance)
    {
        if (!_takesTraffic)
        {
            TakeTraffic();
        }

        instance.InFlight++;
        var cold = !instance.HasServed;
        instance.HasServed = true;
        return new InstanceLease(this, instance, cold);
    }

    /// <summary>
    /// Starts as many instances as waiting requests need (within the maximum), and tops up to the function's
    /// minimum. Caller holds the lock.
    /// </summary>
    private void StartInstancesIfNeeded(bool topUpMinimum = true)
    {
        // A retired pool starts instances only for the requests it still holds, never for its warm minimum.
        topUpMinimum &= _state == PoolState.Serving;
        while (_state != PoolState.Stopped && _instances.Count + _starting < MaxInstances)
        {
            var forWaitingRequest = _waiters.Count > _starting * CapacityPerInstance() && WaitingRequestsNeedAnotherInstance();
            if (!forWaitingRequest && !(topUpMinimum && _instances.Count + _starting < Scaling.MinInstances))
            {
                break;
            }

            if (!TryAdmitInstance(forWaitingRequest))
            {
                break;
            }

            _starting++;
            _ = StartInstanceAsync(forWaitingRequest);
        }
    }

    /// <summary>
    /// Whether the waiting requests need one more instance besides those the pool has (ready or starting). Web
    /// functions, and event functions below <see cref="RuntimeOptions.EagerInstancesPerFunction"/> instances, start one
    /// per waiting request, as they do when the queue is three quarters full. Beyond that an event function's requests
    /// wait for a busy instance while the queue moves: one more starts when the queue has stood still for as long as a
    /// start takes (slow requests, a stuck instance), or has not been empty for
    /// <see cref="RuntimeOptions.SustainedQueueStarts"/> times that while some of the machine's CPU is idle (sustained
    /// load: more instances keep more requests in flight, which helps while the instances wait rather than compute;
    /// see <see cref="MachineHasIdleCpu"/>). While none of the instances is up yet, the queue waits for them; the
    /// first one up gives a function never started before its start time. <see cref="_queueCheck"/> looks again when either may come true. Caller
    /// holds the lock.
    /// </summary>
    private bool WaitingRequestsNeedAnotherInstance()
    {
        if (CapacityPerInstance() > 1 || _instances.Count + _starting < Options.EagerInstancesPerFunction
            || _waiters.First is not { } oldest || _waiters.Count * 4 >= Options.QueueCapacityPerFunction * 3)
        {
            return true;
        }

        if (_instances.Count == 0)
        {
            return false; // the first instance up moves the queue, tells the function's start time, and looks again (StartInstanceAsync)
        }

        var start = _pace.Start ?? TimeSpan.Zero; // known once an instance is up: StartInstanceAsync records it first

        var stoodStill = Time.GetElapsedTime(Math.Max(oldest.Value.QueuedAt, _queueMovedAt));
        var sustained = start * Options.SustainedQueueStarts;
        var busy = Time.GetElapsedTime(_queueBusySince);
        if (stoodStill >= start)
        {
            _queueBusySince = Time.GetTimestamp(); // the next one for sustained load waits as long again
            return true;
        }

        if (busy >= sustained)
        {
            _queueBusySince = Time.GetTimestamp(); // the next one for sustained load waits as long again
            if (MachineHasIdleCpu())
            {
                return true;
            }

            busy = TimeSpan.Zero; // every core is busy: another instance would not serve more; look again later
        }

        var next = TimeSpan.FromTicks(Math.Min((start - stoodStill).Ticks, (sustained - busy).Ticks));
        _queueCheck ??= Time.CreateTimer(static pool => ((InstancePool)pool!).CheckQueue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _queueCheck.Change(next, Timeout.InfiniteTimeSpan);
        return false;
    }

    /// <summary>
    /// Whether sustained load may add an instance: at least <see cref="RuntimeOptions.ScaleOutIdleCores"/> of the
    /// machine's CPU was idle lately, or that is unknown. With every core busy the queue moves as fast as the cores
    /// allow whatever the number of instances, and each start costs CPU the running instances were using: on two
    /// cores under sustained load an event function served about a third more requests with three instances than with
    /// ten, and each redeploy started half as many (bench/README.md, issue 12, step 22).
    /// </summary>
    private bool MachineHasIdleCpu() => _services.Cpu?.IdleCores is not { } idle || idle >= Options.ScaleOutIdleCores;

    private void CheckQueue()
    {
        lock (_gate)
        {
            if (_waiters.Count > 0)
            {
                StartInstancesIfNeeded(topUpMinimum: false);
            }
        }
    }

    /// <summary>
    /// Asks the tenant's quotas for one more instance. When refused and this pool has no instance running or starting,
    /// the waiting requests have nothing to wait for: they fail with the quota error (429/507), unless a retired
    /// revision of the tenant is draining, which gives its places back (<see cref="TenantAdmission.WaitForPlace"/>):
    /// then they wait for one. With instances running they keep waiting for a free slot. Caller holds the lock.
    /// </summary>
    private bool TryAdmitInstance(bool forWaitingRequest)
    {
        if (_services.Admission is not { } admission
            || admission.TryAdmit(Function.Tenant, Function.Function.MemorySize, Function.ToString(), out var refusal))
        {
            return true;
        }

        if (forWaitingRequest && _state == PoolState.Serving && admission.WaitForPlace(Function.Tenant, this))
        {
            return false; // PlaceReleased starts the instance
        }

        if (forWaitingRequest && _instances.Count + _starting == 0)
        {
            var error = PoolError.QuotaExceeded(refusal!);
            while (_waiters.First is { } waiting)
            {
                _waiters.RemoveFirst();
                waiting.Value.Node = null;
                waiting.Value.AnswerFromLock(error);
            }

            SignalIfDrained();
        }
        else if (!forWaitingRequest && !_minimumRefusalLogged)
        {
            _minimumRefusalLogged = true;
            LogMinimumRefused(Function.ToString(), refusal!.Message);
        }

        return false;
    }

    /// <summary>Gives the tenant's quota back the place of one instance that is gone (or never started).</summary>
    private void ReleaseAdmission() => _services.Admission?.Release(Function.Tenant, Function.Function.MemorySize);

    private int CapacityPerInstance() => Function.Function.Kind == FunctionKind.Web ? Scaling.Concurrency ?? Options.WebConcurrencyPerInstance : 1;

    private async Task StartInstanceAsync(bool forWaitingRequest, bool prewarm = false)
    {
        var instance = CreateInstance(forWaitingRequest);
        var inBackground = prewarm && !Volatile.Read(ref _takesTraffic);
        if (inBackground)
        {
            instance.SetCpuPriority(CpuPriority.Background);
        }

        var startedAt = Time.GetTimestamp();
        try
        {
            // The start's synchronous first steps (cgroup folders, files, the sandbox's command line) leave the caller's
            // thread: it holds the pool's lock, and may be a socket thread serving other requests (inline I/O).
            await Task.Yield();
            await instance.StartAsync(_stopping.Token);
            if (!inBackground)
            {
                // A start in the background took as long as the serving revision left the cores idle: not the pace.
                _pace.RecordStart(Time.GetElapsedTime(startedAt));
            }
        }
        catch (Exception ex)
        {
            LogStartFailed(ex, Function.ToString(), instance.Id);
            await instance.DisposeAsync();
            var error = PoolError.StartFailed(ex as InstanceStartException ?? new InstanceStartException($"the instance failed to start: {ex.Message}", ex));
            lock (_gate)
            {
                _starting--;
                ReleaseAdmission();
                // One failed start fails one waiting request (the oldest); the others keep their place and get a fresh attempt.
                if (_waiters.First is { } oldest)
                {
                    _waiters.RemoveFirst();
                    oldest.Value.Node = null;
                    oldest.Value.AnswerFromLock(error);
                    SignalIfDrained();
                }

                // Waiting requests get a fresh attempt now; keeping the minimum warm retries with back-off, so a
                // function that cannot start does not spin.
                StartInstancesIfNeeded(topUpMinimum: false);
                _consecutiveStartFailures++;
                if (Scaling.MinInstances > 0 && _state == PoolState.Serving)
                {
                    _ = TopUpMinimumLaterAsync(TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, _consecutiveStartFailures))));
                }
            }

            return;
        }

        List<(Waiter Waiter, InstanceLease Lease)>? handedOut;
        lock (_gate)
        {
            _starting--;
            _consecutiveStartFailures = 0;
            if (_state == PoolState.Stopped)
            {
                ReleaseAdmission();
                _ = instance.DisposeAsync().AsTask();
                return;
            }

            instance.IdleSince = Time.GetUtcNow();
            instance.HasServed |= prewarm;
            if (inBackground && _takesTraffic)
            {
                // Traffic came while it started: TakeTraffic did not see it yet.
                instance.SetCpuPriority(CpuPriority.Normal);
            }

            _instances.Add(instance);
            handedOut = HandOutSlots(instance);
            if (_waiters.Count > 0)
            {
                StartInstancesIfNeeded(topUpMinimum: false);
            }
        }

        Answer(handedOut);
        LogInstanceStarted(Function.ToString(), instance.Id);
        _ = WatchForExitAsync(instance);
    }

    private async Task TopUpMinimumLaterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, Time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            StartInstancesIfNeeded();
        }
    }

    /// <summary>
    /// Gives free slots of <paramref name="instance"/> to waiting requests, oldest first; null when none waits. The
    /// caller holds the lock, and gives each request its lease with <see cref="Answer"/> once it has let go of it.
    /// </summary>
    private List<(Waiter Waiter, InstanceLease Lease)>? HandOutSlots(FunctionInstance instance)
    {
        List<(Waiter, InstanceLease)>? handedOut = null;
        while (instance.IsAlive && instance.InFlight < instance.Capacity && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            (handedOut ??= []).Add((first.Value, TakeSlot(instance)));
            _queueMovedAt = Time.GetTimestamp();
        }

        return handedOut;
    }

    /// <summary>
    /// Gives waiting requests the leases <see cref="HandOutSlots"/> took for them, outside the lock: each request goes on
    /// on this thread (no hop to the thread pool; for the gateway this is a socket thread, which sends the event on).
    /// A request that gave up meanwhile (timed out, cancelled) gives its slot straight back.
    /// </summary>
    private static void Answer(List<(Waiter Waiter, InstanceLease Lease)>? handedOut)
    {
        if (handedOut is null)
        {
            return;
        }

        foreach (var (waiter, lease) in handedOut)
        {
            if (!waiter.TrySetResult(lease))
            {
                lease.Dispose();
            }
        }
    }

    private async Task WatchForExitAsync(FunctionInstance instance)
    {
        var startedAt = Time.GetTimestamp();
        await instance.Exited;
        lock (_gate)
        {
            if (_instances.Remove(instance))
            {
                ReleaseAdmission();
            }

            // Waiting requests get a replacement at once. The warm minimum is refilled at once too, unless instances
            // keep dying young (a crash loop): then with the same back-off as failed starts.
            var diedYoung = Time.GetElapsedTime(startedAt) < TimeSpan.FromSeconds(30);
            _youngExits = diedYoung ? _youngExits + 1 : 0;
            StartInstancesIfNeeded(topUpMinimum: _youngExits < 2);
            if (_youngExits >= 2 && Scaling.MinInstances > 0 && _state == PoolState.Serving)
            {
                _ = TopUpMinimumLaterAsync(TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, _youngExits))));
            }
        }

        await instance.DisposeAsync();
    }

    internal void Release(FunctionInstance instance)
    {
        var stop = false;
        List<(Waiter Waiter, InstanceLease Lease)>? handedOut = null;
        lock (_gate)
        {
            instance.InFlight--;
            instance.IdleSince = Time.GetUtcNow();
            if (instance.IsAlive)
            {
                handedOut = HandOutSlots(instance);
            }

            if (_yielding && instance.InFlight == 0 && _instances.Remove(instance))
            {
                ReleaseAdmission();
                stop = true;
            }

            SignalIfDrained();
        }

        Answer(handedOut);
        if (stop)
        {
            LogInstanceYielded(Function.ToString(), instance.Id);
            _ = instance.DisposeAsync().AsTask();
        }
    }

    /// <inheritdoc/>
    void IPlaceTaker.PlaceReleased()
    {
        lock (_gate)
        {
            if (_waiters.Count > 0)
            {
                StartInstancesIfNeeded();
            }
        }
    }

    /// <inheritdoc/>
    void IPlaceTaker.YieldIdleInstances()
    {
        List<FunctionInstance> idle;
        lock (_gate)
        {
            if (_state is PoolState.Serving or PoolState.Stopped)
            {
                return;
            }

            _yielding = true;
            idle = _instances.FindAll(i => i.InFlight == 0);
            foreach (var instance in idle)
            {
                _instances.Remove(instance);
                ReleaseAdmission();
            }

            SignalIfDrained();
        }

        foreach (var instance in idle)
        {
            LogInstanceYielded(Function.ToString(), instance.Id);
            _ = instance.DisposeAsync().AsTask();
        }
    }

    /// <summary>Takes a request out of the queue: with <paramref name="error"/> as its answer, or cancelled when null.</summary>
    private void Abandon(Waiter waiter, PoolError? error)
    {
        lock (_gate)
        {
            if (waiter.Node is not null)
            {
                _waiters.Remove(waiter.Node);
                waiter.Node = null;
            }

            SignalIfDrained();
        }

        if (error is null)
        {
            waiter.TrySetCanceled();
        }
        else
        {
            waiter.TrySetResult(error);
        }
    }

    /// <summary>A retired pool that no longer takes requests is drained once nothing waits and nothing is served. Caller holds the lock.</summary>
    private void SignalIfDrained()
    {
        if (_state == PoolState.Closed && _waiters.Count == 0 && _instances.TrueForAll(i => i.InFlight == 0))
        {
            _drained.TrySetResult();
        }
    }

    private async Task ReapIdleLoopAsync()
    {
        var period = TimeSpan.FromTicks(Math.Clamp(IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await ReapIdleAsync();
                RetryMinimumRefusedByQuota();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A warm minimum the tenant's quota refused is started once other instances of the tenant are gone.</summary>
    private void RetryMinimumRefusedByQuota()
    {
        lock (_gate)
        {
            if (_services.Admission is not null && _state == PoolState.Serving && _consecutiveStartFailures == 0 && _youngExits < 2
                && _instances.Count + _starting < Math.Min(Scaling.MinInstances, MaxInstances))
            {
                StartInstancesIfNeeded();
            }
        }
    }

    /// <summary>Stops instances idle longer than the idle timeout (never one that is serving, never below the minimum).</summary>
    internal async Task ReapIdleAsync()
    {
        List<FunctionInstance> idle = [];
        lock (_gate)
        {
            var now = Time.GetUtcNow();
            var minimum = _state == PoolState.Serving ? Scaling.MinInstances : 0;
            foreach (var instance in _instances.OrderBy(i => i.IdleSince))
            {
                if (instance.InFlight == 0 && now - instance.IdleSince >= IdleTimeout && _instances.Count - idle.Count > minimum)
                {
                    idle.Add(instance);
                }
            }

            foreach (var instance in idle)
            {
                _instances.Remove(instance);
                ReleaseAdmission();
            }
        }

        foreach (var instance in idle)
        {
            LogInstanceIdleStop(Function.ToString(), instance.Id);
            await instance.DisposeAsync();
        }
    }

    /// <summary>
    /// Retires the pool after its revision was replaced: requests routed to it just before the switch are still taken
    /// for <see cref="DrainGracePeriod"/>; after that new ones get <see cref="PoolErrorKind.Retired"/>, while every request
    /// already served or queued finishes (queued ones still get instances started for them). Then the instances are
    /// stopped. Bounded by the longest a queued request may wait plus the function's timeout.
    /// </summary>
    public async Task DrainAsync()
    {
        CancellationToken stopping;
        lock (_gate)
        {
            if (_state != PoolState.Serving)
            {
                return;
            }

            _state = PoolState.Retiring;
            stopping = _stopping.Token;
        }

        AnnounceRetirement();
        if (_services.Admission?.IsWaitingForPlace(Function.Tenant) == true)
        {
            ((IPlaceTaker)this).YieldIdleInstances(); // the new revision was refused a place before this pool was retired
        }

        try
        {
            await Task.Delay(DrainGracePeriod, Time, stopping);
        }
        catch (OperationCanceledException)
        {
            return; // stopped meanwhile
        }

        lock (_gate)
        {
            if (_state == PoolState.Retiring)
            {
                _state = PoolState.Closed;
            }

            SignalIfDrained();
        }

        var bound = Patience + TimeSpan.FromSeconds(Function.Function.Timeout);
        try
        {
            await _drained.Task.WaitAsync(bound, Time, stopping);
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(Function.ToString(), bound.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await DisposeAsync();
    }

    /// <summary>
    /// Tells the tenant's admission that this pool is about to be retired (called just before traffic switches away
    /// from it, and again by <see cref="DrainAsync"/>): a pool of the new revision refused a place from then on waits
    /// for this one's places instead of failing its requests.
    /// </summary>
    public void AnnounceRetirement() => _services.Admission?.BeginDraining(Function.Tenant, this);

    /// <summary>Stops the pool now: waiting requests get <see cref="PoolErrorKind.Retired"/>, instances are stopped.</summary>
    public async ValueTask DisposeAsync()
    {
        List<FunctionInstance> instances;
        lock (_gate)
        {
            if (_state == PoolState.Stopped)
            {
                return;
            }

            _state = PoolState.Stopped;
            _stopping.Cancel();
            _queueCheck?.Dispose();
            instances = [.. _instances];
            foreach (var _ in instances)
            {
                ReleaseAdmission();
            }

            _instances.Clear();
            var retired = PoolError.Retired(Function);
            foreach (var waiter in _waiters)
            {
                waiter.Node = null;
                waiter.AnswerFromLock(retired);
            }

            _waiters.Clear();
            _drained.TrySetResult();
        }

        _services.Admission?.EndDraining(Function.Tenant, this);
        await _reaper;
        await Task.WhenAll(instances.Select(i => i.DisposeAsync().AsTask()));
        _stopping.Dispose();
    }

    private enum PoolState
    {
        /// <summary>Takes requests and keeps its warm minimum.</summary>
        Serving,

        /// <summary>Retired, but still takes requests routed to it before the switch (grace period).</summary>
        Retiring,

        /// <summary>Takes no new requests; finishes the ones it holds.</summary>
        Closed,

        /// <summary>Disposed: instances stopped.</summary>
        Stopped,
    }

    /// <summary>
    /// A request waiting for a slot. Whoever completes it runs the request's continuation (no
    /// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>): leases are given outside the pool's lock
    /// (<see cref="Answer"/>), so the request goes on without a hop; answers decided under the lock go through
    /// <see cref="AnswerFromLock"/>.
    /// </summary>
    private sealed class Waiter(long queuedAt) : TaskCompletionSource<PoolResult<InstanceLease>>
    {
        /// <summary>Answers from under the pool's lock: the request's code must not run there, so it goes on on the thread pool.</summary>
        public void AnswerFromLock(PoolResult<InstanceLease> result)
            => ThreadPool.UnsafeQueueUserWorkItem(static state => state.Waiter.TrySetResult(state.Result), (Waiter: this, Result: result), preferLocal: false);

        public LinkedListNode<Waiter>? Node { get; set; }

        /// <summary>When the request joined the queue (<see cref="TimeProvider.GetTimestamp"/>).</summary>
        public long QueuedAt { get; } = queuedAt;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started instance {InstanceId} of {Function}")]
    private partial void LogInstanceStarted(string function, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {InstanceId} of {Function} failed to start")]
    private partial void LogStartFailed(Exception exception, string function, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm instances of {Function} are not all started: {Reason}")]
    private partial void LogMinimumRefused(string function, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping idle instance {InstanceId} of {Function}")]
    private partial void LogInstanceIdleStop(string function, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping instance {InstanceId} of retired {Function}: its quota place goes to the new revision")]
    private partial void LogInstanceYielded(string function, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} was still serving {Seconds} s after it was retired; stopping its instances")]
    private partial void LogDrainTimedOut(string function, double seconds);
}

/// <summary>A slot on an instance; disposing gives it back to the pool.</summary>
public sealed class InstanceLease : IDisposable
{
    private InstancePool? _pool;

    internal InstanceLease(InstancePool pool, FunctionInstance instance, bool coldStart)
    {
        _pool = pool;
        Instance = instance;
        ColdStart = coldStart;
    }

    public FunctionInstance Instance { get; }

    /// <summary>True when this is the first request the instance serves.</summary>
    public bool ColdStart { get; }

    public void Dispose() => Interlocked.Exchange(ref _pool, null)?.Release(Instance);
}
