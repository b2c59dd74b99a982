using System.Threading.Channels;
using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Telemetry;
using Ferry.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Runtime.Tests.Pooling;

/// <summary>
/// A pool's surroundings without processes: instances whose start the test completes or fails, on a fake clock. The
/// log pipeline and invocation recorder are the real ones, on a SQLite store in a temp folder.
/// </summary>
internal sealed class FakeInstances : IAsyncDisposable
{
    private readonly DirectoryInfo _root;
    private readonly SqliteFerryStore _store;
    private readonly LogPipeline _logs;
    private readonly InvocationRecorder _invocations;
    private readonly List<FakeInstance> _created = [];

    private FakeInstances(DirectoryInfo root, SqliteFerryStore store, LogPipeline logs, InvocationRecorder invocations, InstanceServices services,
        long appStageId, long revisionId)
    {
        _root = root;
        _store = store;
        _logs = logs;
        _invocations = invocations;
        Services = services;
        AppStageId = appStageId;
        RevisionId = revisionId;
    }

    public FakeTimeProvider Time { get; } = new();

    public InstanceServices Services { get; private set; }

    public long AppStageId { get; }

    public long RevisionId { get; }

    /// <summary>Whether instances become ready as soon as they are started (otherwise the test completes each start).</summary>
    public bool StartAtOnce { get; set; }

    /// <summary>Every instance the pool asked for, in order.</summary>
    public IReadOnlyList<FakeInstance> Created
    {
        get { lock (_created) { return [.. _created]; } }
    }

    public static async Task<FakeInstances> CreateAsync(RuntimeOptions? options = null)
    {
        var root = Directory.CreateTempSubdirectory("ferry-pool-test-");
        var store = new SqliteFerryStore(Path.Combine(root.FullName, "ferry.db"));
        await store.InitializeAsync(CancellationToken.None);
        var (appStage, revision) = await store.AddRevisionAsync("default", "pooltest", "dev", "local", new string('0', 64), "{}", CancellationToken.None);
        var time = new FakeTimeProvider();
        var logs = new LogPipeline(store, NullLogger<LogPipeline>.Instance, TimeProvider.System);
        var invocations = new InvocationRecorder(store, NullLogger<InvocationRecorder>.Instance, TimeProvider.System);
        options ??= new RuntimeOptions();
        var services = new InstanceServices(new NoSandbox(), new RuntimeApiHost(options, NullLoggerFactory.Instance), logs, invocations,
            options, NullLoggerFactory.Instance, time);
        var fakes = new FakeInstances(root, store, logs, invocations, services, appStage.Id, revision.Id);
        fakes.Services = services with { Time = fakes.Time };
        return fakes;
    }

    public FunctionRevision Function(Manifest.FunctionScaling? scaling = null, int timeoutSeconds = 30) => new()
    {
        Tenant = "default",
        AppStageId = AppStageId,
        RevisionId = RevisionId,
        RevisionNumber = 1,
        Service = "pooltest",
        Stage = "dev",
        Region = "local",
        CodeDirectory = _root.FullName,
        Function = new Manifest.FunctionManifest
        {
            Name = "f",
            Handler = "index.handler",
            Runtime = "nodejs20.x",
            MemorySize = 128,
            Timeout = timeoutSeconds,
            Scaling = scaling ?? new Manifest.FunctionScaling(),
        },
    };

    /// <summary>The factory to give the pool.</summary>
    public FunctionInstance Create(FunctionRevision function, InstanceServices services)
    {
        var instance = new FakeInstance(function, services);
        if (StartAtOnce)
        {
            instance.CompleteStart();
        }

        lock (_created)
        {
            _created.Add(instance);
        }

        return instance;
    }

    /// <summary>Waits (bounded, for a loaded machine) until <paramref name="condition"/> holds: pools work on other threads.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _logs.DisposeAsync();
        await _invocations.DisposeAsync();
        await _store.DisposeAsync();
        _root.Delete(recursive: true);
    }

    private sealed class NoSandbox : ISandbox
    {
        public string Description => "without processes (test)";

        public Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken)
            => throw new InvalidOperationException("fake instances start no processes");
    }
}

/// <summary>An instance whose "process" lives until it is stopped or <see cref="Crash"/>ed; its start waits for the test.</summary>
internal sealed class FakeInstance(FunctionRevision function, InstanceServices services) : FunctionInstance(function, services)
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly FakeProcess _process = new();

    public override int Capacity => 1;

    /// <summary>Whether the pool stopped the instance.</summary>
    public bool Stopped => _process.Disposed;

    public bool StartRequested { get; private set; }

    public void CompleteStart() => _started.TrySetResult();

    public void FailStart(string message) => _started.TrySetException(new InstanceStartException(message));

    public void Crash() => _process.Exit(1);

    /// <summary>The CPU priority last given to the instance's process; null while none was.</summary>
    public CpuPriority? ProcessCpuPriority => _process.CpuPriority;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        StartRequested = true;
        await _started.Task.WaitAsync(cancellationToken);
        await AttachAsync(_process, fromStemCell: false);
    }

    private sealed class FakeProcess : ISandboxedProcess
    {
        private readonly Channel<OutputLine> _output = Channel.CreateUnbounded<OutputLine>();
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed { get; private set; }

        public int Pid => 0;

        public ChannelReader<OutputLine> Output => _output.Reader;

        public Task<int> Exited => _exited.Task;

        public long? PeakMemoryBytes() => null;

        public CpuPriority? CpuPriority { get; private set; }

        public void SetCpuPriority(CpuPriority priority) => CpuPriority = priority;

        public void Exit(int code)
        {
            _output.Writer.TryComplete();
            _exited.TrySetResult(code);
        }

        public Task KillAsync()
        {
            Exit(137);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            Exit(137);
            return ValueTask.CompletedTask;
        }
    }
}
