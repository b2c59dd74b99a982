using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Telemetry;
using Ferry.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.RuntimeApi;

/// <summary>
/// A real event-function instance on a real, started Runtime API host, with a SQLite store and the instance services
/// in a temporary folder, for tests that play the function's runtime loop over HTTP themselves. The instance counts
/// as ready once its runtime asks for the first event: <see cref="FirstNext"/> is that first long poll, kept for the test.
/// </summary>
internal sealed class RuntimeApiTestInstance : IAsyncDisposable
{
    /// <summary>Guards against a hung start; never an assertion about speed.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _root;
    private SqliteFerryStore? _store;
    private RuntimeApiHost? _host;
    private InstanceServices? _services;
    private EventFunctionInstance? _instance;
    private FunctionRevision? _function;
    private Task<HttpResponseMessage>? _firstNext;

    private RuntimeApiTestInstance(string folderPrefix) => _root = Directory.CreateTempSubdirectory(folderPrefix);

    /// <summary>For the test's own calls to the Runtime API; no timeout, since long polls wait as long as they need.</summary>
    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    public EventFunctionInstance Instance => _instance!;

    public FunctionRevision Function => _function!;

    /// <summary>The runtime's first <c>GET …/invocation/next</c>: it gets the first invocation.</summary>
    public Task<HttpResponseMessage> FirstNext => _firstNext!;

    /// <summary>
    /// Starts the instance of <paramref name="manifest"/> (service <paramref name="service"/>, stage dev) in
    /// <paramref name="sandbox"/>, with its log lines going to <paramref name="logs"/> (the store when null) and its code
    /// folder prepared by <paramref name="writeCode"/>; returns once the first long poll was made.
    /// </summary>
    public static async Task<RuntimeApiTestInstance> StartAsync(string service, FunctionManifest manifest, ISandbox sandbox,
        RuntimeOptions? options = null, ILogSink? logs = null, Func<string, Task>? writeCode = null)
    {
        var test = new RuntimeApiTestInstance($"ferry-{service}-test-");
        try
        {
            await test.StartInstanceAsync(service, manifest, sandbox, options ?? new RuntimeOptions(), logs, writeCode);
            return test;
        }
        catch
        {
            await test.DisposeAsync();
            throw;
        }
    }

    private async Task StartInstanceAsync(string service, FunctionManifest manifest, ISandbox sandbox, RuntimeOptions options, ILogSink? logs, Func<string, Task>? writeCode)
    {
        _store = new SqliteFerryStore(Path.Combine(_root.FullName, "ferry.db"));
        await _store.InitializeAsync(CancellationToken.None);
        var (appStage, revision) = await _store.AddRevisionAsync("default", service, "dev", "local", new string('0', 64), "{}", CancellationToken.None);
        options = options with { RuntimeDirectory = Path.Combine(AppContext.BaseDirectory, "runtime") };
        _host = new RuntimeApiHost(options, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        _services = new InstanceServices(sandbox, _host, new LogPipeline(logs ?? _store, NullLogger<LogPipeline>.Instance),
            new InvocationRecorder(_store, NullLogger<InvocationRecorder>.Instance), options, NullLoggerFactory.Instance, TimeProvider.System);

        var code = Directory.CreateDirectory(Path.Combine(_root.FullName, "code")).FullName;
        if (writeCode is not null)
        {
            await writeCode(code);
        }

        _function = new FunctionRevision
        {
            Tenant = "default",
            AppStageId = appStage.Id,
            RevisionId = revision.Id,
            RevisionNumber = 1,
            Service = service,
            Stage = "dev",
            Region = "local",
            CodeDirectory = code,
            Function = manifest,
        };

        _instance = new EventFunctionInstance(_function, _services);
        var started = _instance.StartAsync(CancellationToken.None);
        _firstNext = Http.GetAsync(Url("/runtime/invocation/next"), HttpCompletionOption.ResponseContentRead);
        await started.WaitAsync(Patience);
    }

    /// <summary>The URL of a Runtime API route (<c>/runtime/invocation/next</c>) as the instance reaches it.</summary>
    public string Url(string route) => $"http://{_host!.AddressFor(Instance)}/2018-06-01{route}";

    public async ValueTask DisposeAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.Logs.DisposeAsync();
            await _services.Invocations.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Http.Dispose();
        _root.Delete(recursive: true);
    }
}
