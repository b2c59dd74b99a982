using System.Threading.Channels;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>
/// The pool's sizing with fake cells on a fake clock: it grows after a burst (after the refill delay, a bounded number
/// of starts at a time), within the per-family maximum and the memory budget, and shrinks back to the floor.
/// </summary>
public sealed class StemCellSizingTests : IAsyncLifetime
{
    private static readonly TimeSpan RefillDelay = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new();
    private readonly FakeCellStarter _starter = new();
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ferry-stem-sizing-");
    private RuntimeApiHost _runtimeApi = null!;
    private StemCellPool _pool = null!;
    private int _functions;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _runtimeApi.DisposeAsync();
        _root.Delete(recursive: true);
    }

    private void StartPool(int floor = 1, int max = 10, int refills = 2, int budgetMb = 4096)
    {
        var options = new RuntimeOptions
        {
            StemCellsPerRuntime = floor,
            StemCellsMaxPerRuntime = max,
            StemCellRefillConcurrency = refills,
            StemCellMemoryBudgetMb = budgetMb,
            StemCellRefillDelay = RefillDelay,
            StemCellDirectory = Path.Combine(_root.FullName, "cells"),
        };
        _runtimeApi = new RuntimeApiHost(options, NullLoggerFactory.Instance);
        _starter.RuntimeApi = _runtimeApi;
        _pool = new StemCellPool(new PrivateNetworkSandbox(), _runtimeApi, options, NullLoggerFactory.Instance, _time, _starter.StartAsync);
        _pool.Start();
    }

    private FunctionRevision NodeFunction()
    {
        var number = Interlocked.Increment(ref _functions);
        return new FunctionRevision
        {
            Tenant = "default",
            AppStageId = 1,
            RevisionId = 1,
            RevisionNumber = 1,
            Service = "sizing",
            Stage = "dev",
            Region = "local",
            CodeDirectory = _root.FullName,
            Function = new Manifest.FunctionManifest { Name = "f" + number, Handler = "index.handler", Runtime = "nodejs20.x", MemorySize = 128, Timeout = 3 },
        };
    }

    /// <summary>Completes the pending starts until <paramref name="family"/> has <paramref name="ready"/> cells waiting.</summary>
    private async Task CompleteStartsUntilAsync(StemCellFamily family, int ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_pool.Stats(family).Ready < ready)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {ready} {family} cells: {_pool.Stats(family)}");
            _starter.CompleteAll();
            await Task.Delay(5);
        }
    }

    /// <summary>Completes the floors' starts: one waiting cell of every family.</summary>
    private async Task CompleteFloorsAsync()
    {
        foreach (var family in StemCellFamily.All)
        {
            await CompleteStartsUntilAsync(family, 1);
        }
    }

    private List<StemCell> TakeNode(int count)
    {
        List<StemCell> taken = [];
        for (var i = 0; i < count; i++)
        {
            if (_pool.TryTake(NodeFunction()) is { } cell)
            {
                taken.Add(cell);
            }
        }

        return taken;
    }

    [Fact]
    public async Task The_pool_starts_at_its_floor_for_every_family()
    {
        StartPool(floor: 2);

        foreach (var family in StemCellFamily.All)
        {
            await CompleteStartsUntilAsync(family, 2);
            Assert.Equal(new StemCellStats(Ready: 2, Starting: 0, Target: 2, Taken: 0, Missed: 0, Stopped: 0), _pool.Stats(family));
        }

        Assert.Equal(2 * StemCellFamily.All.Count, _starter.Started); // node, python and web
    }

    [Fact]
    public async Task A_burst_grows_the_family_to_one_cell_per_cold_start_refilled_after_the_delay_with_bounded_concurrency()
    {
        StartPool(floor: 1, max: 10, refills: 2);
        await CompleteFloorsAsync();

        var taken = TakeNode(6);

        Assert.Single(taken);
        var stats = _pool.Stats(StemCellFamily.Node);
        Assert.Equal((0, 0, 6, 1L, 5L), (stats.Ready, stats.Starting, stats.Target, stats.Taken, stats.Missed));

        // Nothing starts while the burst's own cold starts run; then two at a time until the target is reached.
        _time.Advance(RefillDelay);
        await FakeInstancesWait(() => _starter.Pending == 2, "two refills are under way");
        Assert.Equal(2, _pool.Stats(StemCellFamily.Node).Starting);
        var maxSeen = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_pool.Stats(StemCellFamily.Node).Ready < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the node family did not grow to 6: {_pool.Stats(StemCellFamily.Node)}");
            maxSeen = Math.Max(maxSeen, _pool.Stats(StemCellFamily.Node).Starting);
            _starter.CompleteOne();
            await Task.Delay(5);
        }

        Assert.True(maxSeen <= 2, $"at most 2 cells may start at once, saw {maxSeen}");
        Assert.Equal(StemCellFamily.All.Count + 6, _starter.Started); // the floors (node, python, web), then six node cells for the six cold starts
        Assert.Equal(1, _pool.Stats(StemCellFamily.Python).Ready);
        foreach (var cell in taken)
        {
            await cell.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_family_never_grows_past_its_maximum()
    {
        StartPool(floor: 1, max: 3, refills: 4);
        await CompleteFloorsAsync();

        var taken = TakeNode(8);
        _time.Advance(RefillDelay);
        await CompleteStartsUntilAsync(StemCellFamily.Node, 3);
        _time.Advance(StemCellPool.TrimPeriod);
        await Task.Delay(50);

        var stats = _pool.Stats(StemCellFamily.Node);
        Assert.Equal((3, 0, 3), (stats.Ready, stats.Starting, stats.Target));
        foreach (var cell in taken)
        {
            await cell.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cells_above_the_floor_stay_within_the_memory_budget()
    {
        // Floors: node 48 MB + python 20 MB + web 8 MB (the guesses; fake cells report no memory) = 76 MB; 150 MB leaves room for one more node cell.
        StartPool(floor: 1, max: 10, refills: 4, budgetMb: 150);
        await CompleteFloorsAsync();

        var taken = TakeNode(5);
        _time.Advance(RefillDelay);
        await CompleteStartsUntilAsync(StemCellFamily.Node, 2);
        _starter.CompleteAll();
        await Task.Delay(50);

        var stats = _pool.Stats(StemCellFamily.Node);
        Assert.Equal((2, 0, 5), (stats.Ready, stats.Starting, stats.Target));
        Assert.Equal(0, _starter.Pending);
        foreach (var cell in taken)
        {
            await cell.DisposeAsync();
        }
    }

    [Fact]
    public async Task When_bursts_stop_the_family_shrinks_back_to_its_floor_and_stops_the_surplus_cells()
    {
        StartPool(floor: 1, max: 10, refills: 4);
        await CompleteFloorsAsync();
        var taken = TakeNode(4);
        _time.Advance(RefillDelay);
        await CompleteStartsUntilAsync(StemCellFamily.Node, 4);
        var grown = _starter.Processes.ToList();

        // Demand halves every minute: 4 → 2 after one, → 1 after two.
        _time.Advance(TimeSpan.FromMinutes(1));
        await FakeInstancesWait(() => _pool.Stats(StemCellFamily.Node).Ready == 2, "the node family shrinks to 2");
        _time.Advance(TimeSpan.FromMinutes(2));
        await FakeInstancesWait(() => _pool.Stats(StemCellFamily.Node).Ready == 1, "the node family shrinks to its floor");

        var stats = _pool.Stats(StemCellFamily.Node);
        Assert.Equal((1, 0, 1, 3L), (stats.Ready, stats.Starting, stats.Target, stats.Stopped));
        await FakeInstancesWait(() => grown.Count(p => p.Disposed) == 3, "the three surplus cells' processes are stopped");
        foreach (var cell in taken)
        {
            await cell.DisposeAsync();
        }
    }

    private static Task FakeInstancesWait(Func<bool> condition, string what) => Pooling.FakeInstances.EventuallyAsync(condition, what);

    private sealed class PrivateNetworkSandbox : ISandbox
    {
        public string Description => "fake cells (test)";

        public bool SupportsPrivateNetwork => true;

        public Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken)
            => throw new InvalidOperationException("fake cells start no processes");
    }

    /// <summary>Cell starts that wait until the test completes them.</summary>
    private sealed class FakeCellStarter
    {
        private readonly Lock _gate = new();
        private readonly Queue<(StemCellFamily Family, string Folder, TaskCompletionSource<StemCell> Done)> _pending = new();
        private readonly List<CellProcess> _processes = [];

        public RuntimeApiHost RuntimeApi { get; set; } = null!;

        public int Started { get; private set; }

        public int Pending
        {
            get { lock (_gate) { return _pending.Count; } }
        }

        public IReadOnlyList<CellProcess> Processes
        {
            get { lock (_gate) { return [.. _processes]; } }
        }

        public Task<StemCell> StartAsync(StemCellFamily family, string folder, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource<StemCell>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                Started++;
                _pending.Enqueue((family, folder, done));
            }

            return done.Task.WaitAsync(cancellationToken);
        }

        public void CompleteOne()
        {
            (StemCellFamily Family, string Folder, TaskCompletionSource<StemCell> Done) start;
            CellProcess process;
            lock (_gate)
            {
                if (!_pending.TryDequeue(out start))
                {
                    return;
                }

                process = new CellProcess();
                _processes.Add(process);
            }

            start.Done.SetResult(StemCell.Waiting(start.Family, start.Folder, RuntimeApi, process, NullLogger.Instance));
        }

        public void CompleteAll()
        {
            while (Pending > 0)
            {
                CompleteOne();
            }
        }
    }

    internal sealed class CellProcess : ISandboxedProcess
    {
        private readonly Channel<OutputLine> _output = Channel.CreateUnbounded<OutputLine>();
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed { get; private set; }

        public int Pid => 0;

        public ChannelReader<OutputLine> Output => _output.Reader;

        public Task<int> Exited => _exited.Task;

        public long? PeakMemoryBytes() => null;

        public Task KillAsync()
        {
            _output.Writer.TryComplete();
            _exited.TrySetResult(137);
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            Disposed = true;
            await KillAsync();
        }
    }
}
