using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// Keeps <see cref="RuntimeOptions.StemCellsPerRuntime"/> stem cells per runtime family waiting, so that the cold start
/// of a fitting event function takes over a runtime that is already up instead of starting one. A taken cell is
/// never given back (one function per process); the pool starts a replacement in the background. Cells that die
/// while waiting are replaced; cells that keep failing are retried with back-off.
/// </summary>
public sealed partial class StemCellPool : IAsyncDisposable
{
    /// <summary>A cell that dies sooner than this after it became ready counts as a failure (for the back-off).</summary>
    private static readonly TimeSpan YoungDeath = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<StemCellFamily, FamilyCells> _families = StemCellFamily.All.ToDictionary(f => f, _ => new FamilyCells());
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger<StemCellPool> _logger;
    private readonly IReadOnlyDictionary<string, string> _cellEnvironment = FunctionInstance.RuntimeEnvironment();
    private IReadOnlyList<HostServiceBridge> _sharedServices = [];
    private string? _folder;
    private bool _ownsFolder;
    private bool _started;

    private readonly ISandbox _sandbox;
    private readonly RuntimeApiHost _runtimeApi;
    private readonly RuntimeOptions _options;
    private readonly TimeProvider _time;

    public StemCellPool(ISandbox sandbox, RuntimeApiHost runtimeApi, RuntimeOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _sandbox = sandbox;
        _runtimeApi = runtimeApi;
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<StemCellPool>();
    }

    private int Target => _options.StemCellsPerRuntime;

    /// <summary>Whether cells are kept at all: asked for, and the sandbox gives them a private network of their own.</summary>
    public bool Enabled => Target > 0 && _sandbox.SupportsPrivateNetwork;

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
            if (Target > 0)
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
            }

            // Cells run as unprivileged users; bwrap must reach their code folders in here.
            _sandbox.AllowTraversal(_folder);

            foreach (var family in StemCellFamily.All)
            {
                Fill(family);
            }
        }

        LogStarted(Target, _folder);
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
            cell = cells.Ready.FirstOrDefault(c => c.IsWaiting);
            if (cell is null)
            {
                return null;
            }

            cells.Ready.Remove(cell);
            cells.Failures = 0;
            Track(RefillLaterAsync(family, _options.StemCellRefillDelay));
        }

        _runtimeApi.UnregisterStemCell(cell);
        LogTaken(cell.Id, function.ToString());
        return cell;
    }

    /// <summary>Starts cells until the family has its target ready or starting. Caller holds the lock.</summary>
    private void Fill(StemCellFamily family)
    {
        var cells = _families[family];
        while (!_stopping.IsCancellationRequested && cells.Ready.Count + cells.Starting < Target)
        {
            cells.Starting++;
            Track(StartCellAsync(family));
        }
    }

    private async Task StartCellAsync(StemCellFamily family)
    {
        await Task.Yield();
        var folder = Path.Combine(_folder!, Guid.NewGuid().ToString("N"));
        StemCell cell;
        try
        {
            cell = await StemCell.StartAsync(family, folder, _sandbox, _runtimeApi, _options, _sharedServices, _logger, _stopping.Token);
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                var cells = _families[family];
                cells.Starting--;
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                cells.Failures++;
                LogStartFailed(ex, family.Name, cells.Failures);
                Track(RefillLaterAsync(family, BackOff(cells.Failures)));
            }

            return;
        }

        lock (_gate)
        {
            _families[family].Starting--;
            if (!_stopping.IsCancellationRequested)
            {
                _families[family].Ready.Add(cell);
                Track(WatchAsync(cell));
                LogReady(cell.Id, family.Name);
                return;
            }
        }

        await cell.DisposeAsync();
    }

    /// <summary>Replaces a waiting cell that dies; a cell that was taken is its instance's business.</summary>
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
                Track(RefillLaterAsync(cell.Family, BackOff(cells.Failures)));
            }
        }

        await cell.DisposeAsync();
    }

    /// <summary>No wait for a first failure (a single death is replaced at once), then 2, 4 … 60 s.</summary>
    private static TimeSpan BackOff(int failures) => failures <= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));

    private async Task RefillLaterAsync(StemCellFamily family, TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, _stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            Fill(family);
        }
    }

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

    private sealed class FamilyCells
    {
        public List<StemCell> Ready { get; } = [];

        public int Starting { get; set; }

        /// <summary>Failed starts and young deaths in a row; decides the back-off.</summary>
        public int Failures { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stem cells: keeping {Count} per runtime family ready (code folders in {Folder})")]
    private partial void LogStarted(int count, string? folder);

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
