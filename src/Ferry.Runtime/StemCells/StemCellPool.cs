using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.StemCells;

/// <summary>Starts one stem cell of <paramref name="family"/> whose code folder is <paramref name="codeDirectory"/> and returns once it waits.</summary>
internal delegate Task<StemCell> StemCellStarter(StemCellFamily family, string codeDirectory, CancellationToken cancellationToken);

/// <summary>What the pool holds of one runtime family and has done with it (metrics, tests).</summary>
/// <param name="Ready">Cells waiting to be taken.</param>
/// <param name="Starting">Cells being started.</param>
/// <param name="Target">Cells the family should have now, from recent demand.</param>
/// <param name="Taken">Cold starts that took a cell.</param>
/// <param name="Missed">Cold starts that wanted a cell and found none waiting.</param>
/// <param name="Stopped">Waiting cells stopped because demand fell.</param>
public readonly record struct StemCellStats(int Ready, int Starting, int Target, long Taken, long Missed, long Stopped);

/// <summary>
/// Keeps stem cells of each runtime family waiting, so that the cold start of a fitting event function takes over a
/// runtime that is already up instead of starting one. How many follows demand (<see cref="StemCellDemand"/>): at
/// least <see cref="RuntimeOptions.StemCellsPerRuntime"/>, more after bursts of cold starts (up to
/// <see cref="RuntimeOptions.StemCellsMaxPerRuntime"/> per family and <see cref="RuntimeOptions.StemCellMemoryBudgetMb"/>
/// for all), back to the floor when bursts stop (surplus cells are stopped). A taken cell is never given back (one
/// function per process); replacements start <see cref="RuntimeOptions.StemCellRefillDelay"/> after the latest cold
/// start that wanted a cell, at most <see cref="RuntimeOptions.StemCellRefillConcurrency"/> at a time. Cells that die
/// while waiting are replaced; cells that keep failing are retried with back-off. All time is the <see cref="TimeProvider"/>'s.
/// </summary>
public sealed partial class StemCellPool : IAsyncDisposable
{
    /// <summary>A cell that dies sooner than this after it became ready counts as a failure (for the back-off).</summary>
    private static readonly TimeSpan YoungDeath = TimeSpan.FromSeconds(30);

    /// <summary>How often the targets are recomputed (demand decays without events) and surplus cells stopped.</summary>
    internal static readonly TimeSpan TrimPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<StemCellFamily, FamilyCells> _families;
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger<StemCellPool> _logger;
    private readonly IReadOnlyDictionary<string, string> _cellEnvironment = FunctionInstance.RuntimeEnvironment();
    private readonly StemCellStarter _startCell;
    private IReadOnlyList<HostServiceBridge> _sharedServices = [];
    private string? _folder;
    private bool _ownsFolder;
    private bool _started;
    private int _startingTotal;

    private readonly ISandbox _sandbox;
    private readonly RuntimeApiHost _runtimeApi;
    private readonly RuntimeOptions _options;
    private readonly TimeProvider _time;

    public StemCellPool(ISandbox sandbox, RuntimeApiHost runtimeApi, RuntimeOptions options, ILoggerFactory loggerFactory, TimeProvider time)
        : this(sandbox, runtimeApi, options, loggerFactory, time, startCell: null)
    {
    }

    /// <param name="startCell">Starts a cell; null: a real sandboxed runtime loop (tests pass fakes).</param>
    internal StemCellPool(ISandbox sandbox, RuntimeApiHost runtimeApi, RuntimeOptions options, ILoggerFactory loggerFactory, TimeProvider time,
        StemCellStarter? startCell)
    {
        _sandbox = sandbox;
        _runtimeApi = runtimeApi;
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<StemCellPool>();
        _startCell = startCell ?? ((family, folder, cancellationToken) =>
            StemCell.StartAsync(family, folder, _sandbox, _runtimeApi, _options, _sharedServices, _logger, cancellationToken));
        _families = StemCellFamily.All.ToDictionary(f => f, f => new FamilyCells(
            new StemCellDemand(time, options.StemCellDemandWindow, options.StemCellDemandHalfLife), FamilyCells.IdleBytesGuess(f), Floor));
    }

    private int Floor => _options.StemCellsPerRuntime;

    private int Max => Math.Max(Floor, _options.StemCellsMaxPerRuntime);

    private long BudgetBytes => Math.Max(0L, _options.StemCellMemoryBudgetMb) * 1024 * 1024;

    private int RefillConcurrency => Math.Max(1, _options.StemCellRefillConcurrency);

    /// <summary>Whether cells are kept at all: asked for, and the sandbox gives them a private network of their own.</summary>
    public bool Enabled => Floor > 0 && _sandbox.SupportsPrivateNetwork;

    /// <summary>
    /// Starts filling the pool in the background. Call once the Runtime API host listens. Does nothing when
    /// <see cref="Enabled"/> is false.
    /// </summary>
    /// <param name="sharedServices">
    /// Host services every function may use whatever its tenant (the AWS-compatible endpoints): each cell starts with
    /// bridges to them, so functions that use only these still fit a cell. Their sockets must exist already.
    /// </param>
    public void Start(IReadOnlyList<HostServiceBridge>? sharedServices = null)
    {
        if (!Enabled)
        {
            if (Floor > 0)
            {
                LogNoPrivateNetwork();
            }

            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _sharedServices = sharedServices ?? [];
            _folder = _options.StemCellDirectory;
            if (_folder is null)
            {
                _folder = Directory.CreateTempSubdirectory("ferry-stem-cells-").FullName;
                _ownsFolder = true;
            }
            else
            {
                Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                RemoveLeftoverCells(_folder);
            }

            // Cells run as unprivileged users; bwrap must reach their code folders in here.
            _sandbox.AllowTraversal(_folder);
            FillAll();
            Track(TrimLoopAsync());
        }

        LogStarted(Floor, Max, _options.StemCellMemoryBudgetMb, RefillConcurrency, _folder);
    }

    /// <summary>Cells of <paramref name="family"/> waiting to be taken.</summary>
    public int ReadyCount(StemCellFamily family)
    {
        lock (_gate)
        {
            return _families[family].Ready.Count(c => c.IsWaiting);
        }
    }

    /// <summary>The cells waiting now (for tests and diagnostics).</summary>
    internal IReadOnlyList<StemCell> ReadyCells(StemCellFamily family)
    {
        lock (_gate)
        {
            return [.. _families[family].Ready];
        }
    }

    /// <summary>
    /// A waiting cell that can become <paramref name="function"/>, removed from the pool (the caller owns it now and
    /// must make it the function or dispose it); null when the function does not fit a cell or none is waiting.
    /// </summary>
    public StemCell? TryTake(FunctionRevision function)
    {
        if (!Enabled || StemCellFamily.Of(function.Function) is not { } family || StemCellFit.Mismatch(function, _cellEnvironment, _sharedServices) is not null)
        {
            return null;
        }

        StemCell? cell;
        lock (_gate)
        {
            if (!_started || _stopping.IsCancellationRequested)
            {
                return null;
            }

            var cells = _families[family];
            cells.Demand.Record();
            cells.DelayRefills(_time, _options.StemCellRefillDelay);
            cell = cells.Ready.FirstOrDefault(c => c.IsWaiting);
            if (cell is null)
            {
                cells.Missed++;
                UpdateTarget(family);
                FillAll();
                LogMissed(function.ToString(), family.Name);
                return null;
            }

            cells.Ready.Remove(cell);
            cells.Taken++;
            cells.Failures = 0;
            UpdateTarget(family);
            FillAll();
        }

        _runtimeApi.UnregisterStemCell(cell);
        LogTaken(cell.Id, function.ToString());
        return cell;
    }

    /// <summary>What the pool holds of <paramref name="family"/> now.</summary>
    public StemCellStats Stats(StemCellFamily family)
    {
        lock (_gate)
        {
            var cells = _families[family];
            return new StemCellStats(cells.Ready.Count(c => c.IsWaiting), cells.Starting, cells.Target, cells.Taken, cells.Missed, cells.Stopped);
        }
    }

    /// <summary>Recomputes a family's target from its demand now (logs changes). Caller holds the lock.</summary>
    private int UpdateTarget(StemCellFamily family)
    {
        var cells = _families[family];
        var target = cells.Demand.Target(Floor, Max);
        if (target != cells.Target)
        {
            LogTargetChanged(family.Name, target, cells.Target, cells.Demand.Level());
            cells.Target = target;
        }

        return target;
    }

    /// <summary>Memory the cells kept now take (ready and starting, each at its family's idle size). Caller holds the lock.</summary>
    private long MemoryKept()
    {
        long total = 0;
        foreach (var cells in _families.Values)
        {
            total += (cells.Ready.Count + cells.Starting) * cells.IdleBytes;
        }

        return total;
    }

    /// <summary>
    /// Starts cells where families are below their targets, as many at a time as the refill concurrency allows: first
    /// families below the floor, then the largest shortfall; above the floor only within the memory budget. A family
    /// that must wait (refill delay, back-off) gets a wake-up. Caller holds the lock.
    /// </summary>
    private void FillAll()
    {
        if (!_started)
        {
            return;
        }

        var now = _time.GetTimestamp();
        while (!_stopping.IsCancellationRequested && _startingTotal < RefillConcurrency)
        {
            StemCellFamily? next = null;
            var nextBelowFloor = false;
            var nextShortfall = 0;
            var memory = MemoryKept();
            foreach (var (family, cells) in _families)
            {
                var count = cells.Ready.Count + cells.Starting;
                var shortfall = cells.Target - count;
                if (shortfall <= 0)
                {
                    continue;
                }

                if (now < cells.NotBefore)
                {
                    ScheduleWake(family, cells.NotBefore, now);
                    continue;
                }

                var belowFloor = count < Floor;
                if (!belowFloor && memory + cells.IdleBytes > BudgetBytes)
                {
                    continue;
                }

                if (next is null || (belowFloor && !nextBelowFloor) || (belowFloor == nextBelowFloor && shortfall > nextShortfall))
                {
                    (next, nextBelowFloor, nextShortfall) = (family, belowFloor, shortfall);
                }
            }

            if (next is null)
            {
                return;
            }

            _families[next].Starting++;
            _startingTotal++;
            Track(StartCellAsync(next));
        }
    }

    /// <summary>Fills again at <paramref name="at"/> unless a wake-up of the family is due sooner. Caller holds the lock.</summary>
    private void ScheduleWake(StemCellFamily family, long at, long now)
    {
        var cells = _families[family];
        if (cells.WakeAt is { } pending && pending <= at)
        {
            return;
        }

        cells.WakeAt = at;
        Track(WakeAsync(family, at, _time.GetElapsedTime(now, at)));
    }

    private async Task WakeAsync(StemCellFamily family, long at, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            var cells = _families[family];
            if (cells.WakeAt == at)
            {
                cells.WakeAt = null;
            }

            FillAll();
        }
    }

    /// <summary>Recomputes the targets as demand decays and stops waiting cells above them.</summary>
    private async Task TrimLoopAsync()
    {
        using var timer = new PeriodicTimer(TrimPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await TrimAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task TrimAsync()
    {
        List<StemCell> surplus = [];
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            foreach (var (family, cells) in _families)
            {
                var target = UpdateTarget(family);
                // Cells still starting are left to finish; they are stopped at the next round if still too many.
                while (cells.Ready.Count + cells.Starting > target && cells.Ready.Count > 0)
                {
                    var cell = cells.Ready[^1];
                    cells.Ready.RemoveAt(cells.Ready.Count - 1);
                    cells.Stopped++;
                    surplus.Add(cell);
                }
            }

            FillAll();
        }

        foreach (var cell in surplus)
        {
            LogSurplusStopped(cell.Id, cell.Family.Name);
            await cell.DisposeAsync();
        }
    }

    private async Task StartCellAsync(StemCellFamily family)
    {
        await Task.Yield();
        var folder = Path.Combine(_folder!, Guid.NewGuid().ToString("N"));
        StemCell cell;
        try
        {
            cell = await _startCell(family, folder, _stopping.Token);
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                var cells = _families[family];
                cells.Starting--;
                _startingTotal--;
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                cells.Failures++;
                LogStartFailed(ex, family.Name, cells.Failures);
                cells.DelayRefills(_time, BackOff(cells.Failures));
                FillAll();
            }

            return;
        }

        lock (_gate)
        {
            var cells = _families[family];
            cells.Starting--;
            _startingTotal--;
            if (!_stopping.IsCancellationRequested)
            {
                cells.Ready.Add(cell);
                if (cell.Process.PeakMemoryBytes() is { } bytes && bytes > cells.IdleBytes)
                {
                    cells.IdleBytes = bytes; // the largest seen: the budget counts what a cell really takes
                }

                Track(WatchAsync(cell));
                LogReady(cell.Id, family.Name);
                FillAll();
                return;
            }
        }

        await cell.DisposeAsync();
    }

    /// <summary>Replaces a waiting cell that dies; a cell that was taken (or stopped as surplus) is someone else's business.</summary>
    private async Task WatchAsync(StemCell cell)
    {
        var readyAt = _time.GetTimestamp();
        await cell.Process.Exited;
        lock (_gate)
        {
            var cells = _families[cell.Family];
            if (!cells.Ready.Remove(cell))
            {
                return;
            }

            if (!_stopping.IsCancellationRequested)
            {
                cells.Failures = _time.GetElapsedTime(readyAt) < YoungDeath ? cells.Failures + 1 : 0;
                LogDied(cell.Id, cell.Family.Name, cell.Process.Exited.Result);
                cells.DelayRefills(_time, BackOff(cells.Failures));
                FillAll();
            }
        }

        await cell.DisposeAsync();
    }

    /// <summary>No wait for a first failure (a single death is replaced at once), then 2, 4 … 60 s.</summary>
    private static TimeSpan BackOff(int failures) => failures <= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));

    /// <summary>Keeps a background task to await on disposal. Caller holds the lock.</summary>
    private void Track(Task task)
    {
        _background.RemoveAll(t => t.IsCompleted);
        _background.Add(task);
    }

    public async ValueTask DisposeAsync()
    {
        List<StemCell> cells;
        List<Task> background;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            cells = _families.Values.SelectMany(f => f.Ready).ToList();
            foreach (var family in _families.Values)
            {
                family.Ready.Clear();
            }

            background = [.. _background];
        }

        await Task.WhenAll(cells.Select(c => c.DisposeAsync().AsTask()));
        await Task.WhenAll(background);
        if (_ownsFolder && _folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Could not delete the stem cell folder {Folder}", _folder);
            }
        }

        _stopping.Dispose();
    }

    private sealed class FamilyCells(StemCellDemand demand, long idleBytes, int target)
    {
        public StemCellDemand Demand { get; } = demand;

        public List<StemCell> Ready { get; } = [];

        public int Starting { get; set; }

        /// <summary>Cells to keep (ready and starting), as last computed from <see cref="Demand"/>.</summary>
        public int Target { get; set; } = target;

        /// <summary>Memory one waiting cell takes: a guess until cells were measured, then the largest measured.</summary>
        public long IdleBytes { get; set; } = idleBytes;

        /// <summary>No cell of the family starts before this timestamp (refill delay, back-off).</summary>
        public long NotBefore { get; private set; }

        /// <summary>Timestamp of the pending wake-up, if any.</summary>
        public long? WakeAt { get; set; }

        /// <summary>Failed starts and young deaths in a row; decides the back-off.</summary>
        public int Failures { get; set; }

        public long Taken { get; set; }

        public long Missed { get; set; }

        public long Stopped { get; set; }

        /// <summary>Holds the family's starts back for at least <paramref name="delay"/> from now.</summary>
        public void DelayRefills(TimeProvider time, TimeSpan delay)
        {
            var at = time.GetTimestamp() + (long)(delay.TotalSeconds * time.TimestampFrequency);
            NotBefore = Math.Max(NotBefore, at);
        }

        /// <summary>Idle size of a cell before one was measured (RSS of the idle loop plus bwrap and the bridge, rounded up).</summary>
        public static long IdleBytesGuess(StemCellFamily family)
            => (family == StemCellFamily.Node ? 48L : family == StemCellFamily.Web ? 8L : 20L) * 1024 * 1024;
    }

    /// <summary>
    /// Removes the code folders of cells of a server that stopped without cleaning up: their revisions' code mounts
    /// first (deleting through those read-only binds would fail), then the folders.
    /// </summary>
    private void RemoveLeftoverCells(string folder)
    {
        CodeFolderMount.DetachAllBelow(folder);
        foreach (var leftover in Directory.EnumerateDirectories(folder))
        {
            try
            {
                Directory.Delete(leftover, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "Could not delete the leftover stem cell folder {Folder}", leftover);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stem cells: keeping {Floor} to {Max} per runtime family ready as demand goes (memory budget {BudgetMb} MB, {Refills} started at a time; code folders in {Folder})")]
    private partial void LogStarted(int floor, int max, int budgetMb, int refills, string? folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stem cells ({Family}): keeping {Target} ready, was {Previous} (demand {Demand:0.0})")]
    private partial void LogTargetChanged(string family, int target, int previous, double demand);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The cold start of {Function} found no {Family} stem cell waiting")]
    private partial void LogMissed(string function, string family);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stem cell {CellId} ({Family}) stopped: fewer are wanted now")]
    private partial void LogSurplusStopped(string cellId, string family);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stem cells are off: the sandbox gives processes no private network")]
    private partial void LogNoPrivateNetwork();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stem cell {CellId} ({Family}) is ready")]
    private partial void LogReady(string cellId, string family);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stem cell {CellId} becomes {Function}")]
    private partial void LogTaken(string cellId, string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Family} stem cell failed to start ({Failures} in a row)")]
    private partial void LogStartFailed(Exception exception, string family, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stem cell {CellId} ({Family}) exited with code {ExitCode} while waiting; replacing it")]
    private partial void LogDied(string cellId, string family, int exitCode);
}
