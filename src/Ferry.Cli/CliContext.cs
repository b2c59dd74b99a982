using System.Net;

namespace Ferry.Cli;

/// <summary>
/// Everything the CLI takes from the process it runs in: standard streams, environment variables, the working
/// directory, the clock and the HTTP stack. Tests build one over in-memory writers and a stub handler.
/// </summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public TextReader In { get; init; } = TextReader.Null;

    public bool OutIsTerminal { get; init; }
    public bool ErrorIsTerminal { get; init; }
    public bool InIsTerminal { get; init; }

    /// <summary>Reads an environment variable; null when unset.</summary>
    public required Func<string, string?> Environment { get; init; }

    /// <summary>The names of the environment's variables (the deploy cache watches build-time ones such as NEXT_PUBLIC_*).</summary>
    public Func<IEnumerable<string>> EnvironmentNames { get; init; } = () => [];

    public required string WorkingDirectory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Creates the handler under each <see cref="HttpClient"/> the CLI makes.</summary>
    public Func<HttpMessageHandler> CreateHttpHandler { get; init; } = CreateDefaultHttpHandler;

    /// <summary>Waits between reconnect attempts of <c>ferry logs --tail</c>.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    /// <summary>How long Ctrl+C/SIGTERM waits for a command to finish after cancelling it; null leaves signals alone.</summary>
    public TimeSpan? TerminationGracePeriod { get; init; }

    /// <summary>FERRY_DEBUG=1 shows stack traces of unexpected errors.</summary>
    public bool Debug => Environment("FERRY_DEBUG") == "1";

    /// <summary>Colours are allowed unless NO_COLOR is set to a non-empty value (no-color.org).</summary>
    public bool ColorsAllowed => string.IsNullOrEmpty(Environment("NO_COLOR"));

    public bool ColorOut => ColorsAllowed && OutIsTerminal;
    public bool ColorError => ColorsAllowed && ErrorIsTerminal;

    public static CliContext FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        OutIsTerminal = !Console.IsOutputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
        InIsTerminal = !Console.IsInputRedirected,
        Environment = System.Environment.GetEnvironmentVariable,
        EnvironmentNames = () => System.Environment.GetEnvironmentVariables().Keys.Cast<string>(),
        WorkingDirectory = Directory.GetCurrentDirectory(),
        TerminationGracePeriod = TimeSpan.FromSeconds(10),
    };

    /// <summary>Resolves a user-supplied path against <see cref="WorkingDirectory"/>.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);

    private static HttpMessageHandler CreateDefaultHttpHandler() => new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}
