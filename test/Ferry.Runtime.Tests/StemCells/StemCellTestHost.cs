using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Runtime.Telemetry;
using Ferry.Runtime.Tests.Sandbox;
using Ferry.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>
/// The runtime as the server puts it together (bubblewrap sandbox, Runtime API host, log pipeline on a SQLite store)
/// with a stem cell pool, and helpers to build functions and pools on it.
/// </summary>
internal sealed class StemCellTestHost : IAsyncDisposable
{
    private readonly DirectoryInfo _root;
    private readonly List<InstancePool> _pools = [];
    private readonly BubblewrapSandbox _sandbox;
    private int _functions;

    private StemCellTestHost(DirectoryInfo root, SqliteFerryStore store, RuntimeApiHost runtimeApi, InstanceServices services, BubblewrapSandbox sandbox)
    {
        _root = root;
        Store = store;
        RuntimeApi = runtimeApi;
        _sandbox = sandbox;
        Cells = new StemCellPool(services.Sandbox, runtimeApi, services.Options, services.LoggerFactory, services.Time);
        Services = services with { StemCells = Cells };
    }

    public SqliteFerryStore Store { get; }

    public RuntimeApiHost RuntimeApi { get; }

    public InstanceServices Services { get; }

    public StemCellPool Cells { get; }

    /// <summary>The app stage every function of this host logs to.</summary>
    public long AppStageId { get; private set; }

    public long RevisionId { get; private set; }

    /// <summary>Where the cells' code folders are (on the revisions' file system, so they are filled with hard links).</summary>
    public string CellFolder => Services.Options.StemCellDirectory!;

    /// <param name="deepCellFolder">Cells' folders deeper than a UNIX socket's path may be long (as a data folder can be).</param>
    /// <param name="codeMounts">Whether cells get their code as a bind mount (<see cref="RuntimeOptions.StemCellCodeMounts"/>).</param>
    /// <param name="beforeStart">Called with the cells' folder before the pool starts (to leave things a crashed server would).</param>
    public static async Task<StemCellTestHost> StartAsync(int cellsPerRuntime = 1, bool deepCellFolder = false, bool codeMounts = true,
        Action<string>? beforeStart = null)
    {
        var root = Directory.CreateTempSubdirectory("ferry-stem-test-");
        var store = new SqliteFerryStore(Path.Combine(root.FullName, "ferry.db"));
        await store.InitializeAsync(CancellationToken.None);
        var options = new RuntimeOptions
        {
            RuntimeDirectory = Path.Combine(AppContext.BaseDirectory, "runtime"),
            StemCellsPerRuntime = cellsPerRuntime,
            StemCellsMaxPerRuntime = cellsPerRuntime, // a fixed pool: these tests count cells (sizing: StemCellSizingTests)
            StemCellRefillDelay = TimeSpan.Zero,
            StemCellDirectory = Path.Combine(root.FullName, deepCellFolder ? new string('d', 120) : "", "cells"),
            IdleTimeout = TimeSpan.FromMinutes(5),
            StemCellCodeMounts = codeMounts,
        };
        beforeStart?.Invoke(options.StemCellDirectory);
        var runtimeApi = new RuntimeApiHost(options, NullLoggerFactory.Instance);
        await runtimeApi.StartAsync(CancellationToken.None);
        var sandbox = SandboxTestFolders.CreateBubblewrap();
        sandbox.AllowTraversal(root.FullName); // as the server does with its data folder
        var services = new InstanceServices(sandbox, runtimeApi, new LogPipeline(store, NullLogger<LogPipeline>.Instance),
            new InvocationRecorder(store, NullLogger<InvocationRecorder>.Instance), options, NullLoggerFactory.Instance, TimeProvider.System);
        var host = new StemCellTestHost(root, store, runtimeApi, services, sandbox);
        var (appStage, revision) = await store.AddRevisionAsync("default", "stemtest", "dev", "local", new string('0', 64), "{}", CancellationToken.None);
        host.AppStageId = appStage.Id;
        host.RevisionId = revision.Id;
        host.Cells.Start();
        return host;
    }

    /// <summary>A function of <paramref name="runtime"/> whose code folder holds <paramref name="files"/>.</summary>
    public FunctionRevision Function(string runtime, string handler, (string Path, string Content)[] files,
        IReadOnlyDictionary<string, string>? environment = null, bool outboundNetwork = false, int memorySize = 256)
    {
        var number = Interlocked.Increment(ref _functions);
        var code = Path.Combine(_root.FullName, "revisions", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (path, content) in files)
        {
            var file = Path.Combine(code, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }

        return new FunctionRevision
        {
            Tenant = "default",
            AppStageId = AppStageId,
            RevisionId = RevisionId,
            RevisionNumber = 1,
            Service = "stemtest",
            Stage = "dev",
            Region = "local",
            CodeDirectory = code,
            Function = new FunctionManifest
            {
                Name = "f" + number,
                Handler = handler,
                Runtime = runtime,
                MemorySize = memorySize,
                Timeout = 30,
                Environment = environment ?? new Dictionary<string, string>(),
                OutboundNetwork = outboundNetwork,
            },
        };
    }

    public InstancePool Pool(FunctionRevision function)
    {
        var pool = new InstancePool(function, Services);
        lock (_pools)
        {
            _pools.Add(pool);
        }

        return pool;
    }

    /// <summary>Invokes once and returns the result plus the instance that served it.</summary>
    public static async Task<(InvocationResult Result, EventFunctionInstance Instance)> InvokeAsync(InstancePool pool, string payload = "{}")
    {
        var acquired = await pool.AcquireAsync(CancellationToken.None);
        Assert.True(acquired.Succeeded, $"no instance: {acquired.Error}");
        using var lease = acquired.Value;
        var instance = (EventFunctionInstance)lease.Instance;
        var result = await instance.InvokeAsync(Guid.NewGuid().ToString(), System.Text.Encoding.UTF8.GetBytes(payload), lease.ColdStart);
        return (result, instance);
    }

    /// <summary>Waits (up to a generous bound, for a loaded machine) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Stored log lines of <paramref name="function"/>, once its REPORT line is there.</summary>
    public async Task<IReadOnlyList<LogEntry>> LogsUntilReportAsync(FunctionRevision function)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var logs = await Store.QueryLogsAsync(new LogQuery(AppStageId, function.Name), CancellationToken.None);
            if (logs.Any(l => l.Message.StartsWith("REPORT ", StringComparison.Ordinal)))
            {
                return logs;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no REPORT line for {function.Name}: {string.Join(" / ", logs.Select(l => l.Message))}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools)
        {
            await pool.DisposeAsync();
        }

        await Cells.DisposeAsync();
        await Services.Logs.DisposeAsync();
        await Services.Invocations.DisposeAsync();
        await RuntimeApi.DisposeAsync();
        _sandbox.Dispose();
        await Store.DisposeAsync();
        _root.Delete(recursive: true);
    }
}
