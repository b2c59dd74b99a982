using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ferry.Cli.Api;

namespace Ferry.Cli.Local;

/// <summary>A line the function's process wrote.</summary>
internal sealed record FunctionOutputLine(bool IsStderr, string Text);

/// <summary>How one local invocation ended.</summary>
/// <param name="Body">The handler's JSON result, or a Lambda-style error document.</param>
/// <param name="ErrorType">Null when the handler succeeded; else e.g. <c>Error</c>, <c>Runtime.ImportModuleError</c>, <c>Sandbox.Timedout</c>.</param>
/// <param name="Duration">From the runtime loop taking the event to its answer (zero when it never took it).</param>
internal sealed record LocalInvocationResult(string RequestId, string Body, string? ErrorType, TimeSpan Duration)
{
    public const string TimeoutErrorType = "Sandbox.Timedout";

    public bool Succeeded => ErrorType is null;

    /// <summary>The same shape <c>ferry invoke</c> gets from the server, so both print alike.</summary>
    public FunctionInvocation ToFunctionInvocation() => new(Body, "application/json", RequestId, ErrorType);
}

/// <summary>
/// Runs one invocation of an event function on the developer's machine, outside any sandbox: starts a
/// <see cref="LocalRuntimeApi"/>, the function's runtime loop pointed at it, hands over the event, and waits for the
/// answer, the runtime's exit, or the function's timeout. The runtime process (and anything it started) is killed
/// afterwards, and every line it wrote is delivered before the result is returned.
/// </summary>
internal sealed class LocalFunctionRunner(TimeProvider time)
{
    /// <summary>How long the runtime loop may take to load the handler and ask for the event (Lambda's init limit).</summary>
    public static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the last output after the process is killed (a daemonised child could hold the pipe).</summary>
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    public async Task<LocalInvocationResult> InvokeAsync(
        LocalFunction function, string eventJson, Action<FunctionOutputLine> onOutput, CancellationToken cancellationToken)
    {
        var command = function.Command();
        await using var api = await LocalRuntimeApi.StartAsync(time, cancellationToken);
        var requestId = Guid.NewGuid().ToString();
        var invocation = new LocalInvocation(requestId, eventJson, function.Timeout, function.Arn);
        api.Submit(invocation);

        using var process = Start(command, function.AppDirectory, function.Environment(api.Address, requestId));
        var output = Task.WhenAll(
            PumpAsync(process.StandardOutput, isStderr: false, onOutput),
            PumpAsync(process.StandardError, isStderr: true, onOutput));
        try
        {
            return await AwaitOutcomeAsync(process, api, invocation, cancellationToken);
        }
        finally
        {
            Kill(process);
            await Task.WhenAny(output, Task.Delay(OutputDrainTimeout, time, CancellationToken.None));
        }
    }

    private async Task<LocalInvocationResult> AwaitOutcomeAsync(
        Process process, LocalRuntimeApi api, LocalInvocation invocation, CancellationToken cancellationToken)
    {
        var exited = process.WaitForExitAsync(cancellationToken);

        // Init: the loop loads the handler, then asks for the event.
        var initLimit = Task.Delay(InitTimeout, time, cancellationToken);
        await Task.WhenAny(invocation.Started, api.InitError, exited, initLimit);
        cancellationToken.ThrowIfCancellationRequested();
        if (api.InitError.IsCompleted)
        {
            var initError = await api.InitError;
            return new LocalInvocationResult(invocation.RequestId, initError.Body, initError.ErrorType ?? "Runtime.InitError", TimeSpan.Zero);
        }

        if (!invocation.Started.IsCompleted)
        {
            return exited.IsCompleted
                ? ExitedEarly(invocation, process.ExitCode, TimeSpan.Zero)
                : Failure(invocation, "Runtime.InitTimeout", TimeSpan.Zero, string.Create(CultureInfo.InvariantCulture,
                    $"The runtime did not ask for the event within {InitTimeout.TotalSeconds:0} s of starting"));
        }

        // Invoke: the handler runs until it answers, the process dies, or the deadline passes.
        var deadline = await invocation.Started;
        var startedAt = time.GetTimestamp();
        var remaining = deadline - time.GetUtcNow();
        var timeoutLimit = Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time, cancellationToken);
        await Task.WhenAny(invocation.Answered, exited, timeoutLimit);
        cancellationToken.ThrowIfCancellationRequested();
        var duration = time.GetElapsedTime(startedAt);
        if (invocation.Answered.IsCompleted)
        {
            var answer = await invocation.Answered;
            return new LocalInvocationResult(
                invocation.RequestId, answer.Body, answer.Succeeded ? null : answer.ErrorType ?? "Unhandled", duration);
        }

        if (exited.IsCompleted)
        {
            return ExitedEarly(invocation, process.ExitCode, duration);
        }

        return Failure(invocation, LocalInvocationResult.TimeoutErrorType, duration,
            string.Create(CultureInfo.InvariantCulture, $"Task timed out after {invocation.Timeout.TotalSeconds:F2} seconds"));
    }

    private static LocalInvocationResult ExitedEarly(LocalInvocation invocation, int exitCode, TimeSpan duration)
        => Failure(invocation, "Runtime.ExitError", duration,
            string.Create(CultureInfo.InvariantCulture, $"Runtime exited with error: exit status {exitCode}"));

    private static LocalInvocationResult Failure(LocalInvocation invocation, string errorType, TimeSpan duration, string message)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["errorMessage"] = message, ["errorType"] = errorType });
        return new LocalInvocationResult(invocation.RequestId, body, errorType, duration);
    }

    private static Process Start(IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliUserException($"Cannot start {command[0]}: no process was created.");
        }
        catch (Win32Exception e)
        {
            throw new CliUserException($"Cannot start the function's runtime '{command[0]}': {e.Message}. Is it installed and on PATH?", e);
        }

        // Lambda functions have no standard input: reading it ends at once instead of waiting on the terminal.
        process.StandardInput.Close();
        return process;
    }

    private static async Task PumpAsync(StreamReader reader, bool isStderr, Action<FunctionOutputLine> onOutput)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                onOutput(new FunctionOutputLine(isStderr, line));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process was killed while writing: its last partial line is lost, as on Lambda.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
    }
}
