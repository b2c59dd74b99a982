namespace Ferry.Cli.Tests.Support;

/// <summary>Runs <c>ferry</c> in-process over captured stdout/stderr, a fake environment and a stub server.</summary>
internal sealed class TestCli : IDisposable
{
    public const string ServerUrl = "http://ferry.test:8080";

    public StringWriter Out { get; } = new();
    public StringWriter Error { get; } = new();
    public Dictionary<string, string> Environment { get; } = new() { ["FERRY_URL"] = ServerUrl };
    public StubHttpHandler Http { get; } = new();
    public List<TimeSpan> Delays { get; } = [];
    public string WorkingDirectory { get; } = Directory.CreateTempSubdirectory("ferry-cli-test-").FullName;
    public string StdIn { get; set; } = "";
    public bool InIsTerminal { get; set; }
    public FixedTimeProvider Time { get; } = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));

    public CliContext Context => new()
    {
        Out = Out,
        Error = Error,
        In = new StringReader(StdIn),
        InIsTerminal = InIsTerminal,
        Environment = name => Environment.GetValueOrDefault(name),
        WorkingDirectory = WorkingDirectory,
        CreateHttpHandler = () => Http,
        Time = Time,
        Delay = (delay, _) =>
        {
            Delays.Add(delay);
            return Task.CompletedTask;
        },
    };

    public Task<int> RunAsync(params string[] args) => FerryCli.RunAsync(args, Context);

    public Task<int> RunAsync(CancellationToken cancellationToken, params string[] args) => FerryCli.RunAsync(args, Context, cancellationToken);

    public string WriteFile(string relativePath, string content)
    {
        var path = Path.Combine(WorkingDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(WorkingDirectory, recursive: true);
}

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
