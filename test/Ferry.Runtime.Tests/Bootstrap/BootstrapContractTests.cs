using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Runtime.Tests.Bootstrap;

/// <summary>Files of a function plus the _HANDLER that points into them.</summary>
public sealed record FunctionCode(string Handler, params (string Path, string Source)[] Files);

/// <summary>
/// The Runtime API contract every runtime loop honours, run against the real script and a fake Runtime API.
/// Each language supplies the same scenarios written in its own code.
/// </summary>
public abstract class BootstrapContractTests : IAsyncLifetime
{
    /// <summary>Guards against a hung loop; never an assertion about speed.</summary>
    private protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _taskRoot = Directory.CreateTempSubdirectory("ferry-bootstrap-");
    private readonly List<BootstrapProcess> _processes = [];
    private FakeRuntimeApi? _api;

    private protected abstract BootstrapRuntime Runtime { get; }

    /// <summary>Returns {"echo": event}.</summary>
    protected abstract FunctionCode EchoFunction { get; }

    /// <summary>Returns requestId, functionName, functionVersion, invokedFunctionArn, memoryLimitInMB,
    /// logGroupName, logStreamName, remainingMs and traceId (from _X_AMZN_TRACE_ID) from the context.</summary>
    protected abstract FunctionCode ContextFunction { get; }

    /// <summary>Raises a ValidationError with the message "rejected: " + event.name.</summary>
    protected abstract FunctionCode FailingFunction { get; }

    /// <summary>Keeps a module-level counter and returns {"count": n}.</summary>
    protected abstract FunctionCode CountingFunction { get; }

    /// <summary>Prints event.lines lines of 100 characters, then "marker " + event.marker, and returns "logged".</summary>
    protected abstract FunctionCode LoggingFunction { get; }

    /// <summary>Returns nothing (undefined / None).</summary>
    protected abstract FunctionCode NoResultFunction { get; }

    /// <summary>Module with a syntax error.</summary>
    protected abstract FunctionCode SyntaxErrorFunction { get; }

    /// <summary>Module that loads but lacks the export named in the handler.</summary>
    protected abstract FunctionCode MissingExportFunction { get; }

    /// <summary>Prints event.out on stdout and event.err on stderr when they are given, and returns "done".</summary>
    protected abstract FunctionCode PrintingFunction { get; }

    private protected FakeRuntimeApi Api => _api ?? throw new InvalidOperationException("The fake Runtime API is not started.");

    public async Task InitializeAsync() => _api = await FakeRuntimeApi.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
        _taskRoot.Delete(recursive: true);
    }

    [Fact]
    public async Task Returns_the_handler_result_for_the_event_it_was_given()
    {
        var process = Start(EchoFunction);
        var invocation = Api.Enqueue("""{"name":"Ada","items":[1,2,3],"nested":{"ok":true}}""");

        var response = (await AwaitAsync(invocation.Report, process)).AsResponse();

        var expected = JsonNode.Parse("""{"echo":{"name":"Ada","items":[1,2,3],"nested":{"ok":true}}}""");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(response.GetRawText())), response.GetRawText());
    }

    [Fact]
    public async Task Context_carries_the_invocation_and_function_details()
    {
        var process = Start(ContextFunction);
        var timeout = TimeSpan.FromMinutes(2);
        var invocation = Api.Enqueue("{}", timeout, traceId: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");

        var context = (await AwaitAsync(invocation.Report, process)).AsResponse();

        Assert.Equal(invocation.RequestId, context.GetProperty("requestId").GetString());
        Assert.Equal("orders-create", context.GetProperty("functionName").GetString());
        Assert.Equal("7", context.GetProperty("functionVersion").GetString());
        Assert.Equal(FakeRuntimeApi.FunctionArn, context.GetProperty("invokedFunctionArn").GetString());
        Assert.Equal("256", context.GetProperty("memoryLimitInMB").GetString());
        Assert.Equal("/ferry/orders-create", context.GetProperty("logGroupName").GetString());
        Assert.Equal("2024/01/01/[7]instance-1", context.GetProperty("logStreamName").GetString());
        Assert.Equal("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", context.GetProperty("traceId").GetString());
        var remaining = context.GetProperty("remainingMs").GetDouble();
        Assert.InRange(remaining, 1, timeout.TotalMilliseconds);
    }

    [Fact]
    public async Task Handler_error_is_posted_to_the_error_endpoint()
    {
        var process = Start(FailingFunction);
        var invocation = Api.Enqueue("""{"name":"order-42"}""");

        var report = await AwaitAsync(invocation.Report, process);

        var error = report.AsError();
        Assert.Equal("ValidationError", error.ErrorType);
        Assert.Equal("rejected: order-42", error.ErrorMessage);
        Assert.Equal("ValidationError", report.ErrorTypeHeader);
        var handlerFile = FailingFunction.Files[0].Path;
        Assert.Contains(error.StackTrace, frame => frame.Contains(handlerFile, StringComparison.Ordinal));
        var loopScript = Path.GetFileName(Runtime.Arguments[^1]);
        Assert.DoesNotContain(error.StackTrace, frame => frame.Contains(loopScript, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Handler_error_does_not_end_the_process()
    {
        var process = Start(FailingFunction);

        var first = await AwaitAsync(Api.Enqueue("""{"name":"a"}""").Report, process);
        var second = await AwaitAsync(Api.Enqueue("""{"name":"b"}""").Report, process);

        Assert.Equal("rejected: a", first.AsError().ErrorMessage);
        Assert.Equal("rejected: b", second.AsError().ErrorMessage);
    }

    [Fact]
    public async Task Missing_module_is_an_import_error_and_the_process_exits()
    {
        var process = Start(new FunctionCode("does/not/exist.handler"));

        var report = await AwaitAsync(Api.InitError, process);

        Assert.Equal("Runtime.ImportModuleError", report.AsError().ErrorType);
        Assert.Equal("Runtime.ImportModuleError", report.ErrorTypeHeader);
        Assert.Contains("does", report.AsError().ErrorMessage);
        Assert.NotEqual(0, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task Handler_name_without_an_export_is_malformed()
    {
        var process = Start(new FunctionCode("index"));

        var report = await AwaitAsync(Api.InitError, process);

        Assert.Equal("Runtime.MalformedHandlerName", report.AsError().ErrorType);
        Assert.NotEqual(0, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task Missing_export_is_handler_not_found()
    {
        var process = Start(MissingExportFunction);

        var report = await AwaitAsync(Api.InitError, process);

        Assert.Equal("Runtime.HandlerNotFound", report.AsError().ErrorType);
        Assert.Equal("Runtime.HandlerNotFound", report.ErrorTypeHeader);
        Assert.NotEqual(0, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task Syntax_error_is_a_user_code_syntax_error()
    {
        var process = Start(SyntaxErrorFunction);

        var report = await AwaitAsync(Api.InitError, process);

        Assert.Equal("Runtime.UserCodeSyntaxError", report.AsError().ErrorType);
        Assert.Equal("Runtime.UserCodeSyntaxError", report.ErrorTypeHeader);
        Assert.NotEqual(0, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task Sequential_invocations_reuse_the_process_and_its_state()
    {
        var process = Start(CountingFunction);

        var first = await AwaitAsync(Api.Enqueue("{}").Report, process);
        var second = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal(1, first.AsResponse().GetProperty("count").GetInt32());
        Assert.Equal(2, second.AsResponse().GetProperty("count").GetInt32());
        Assert.False(process.Exited.IsCompleted);
    }

    [Fact]
    public async Task Output_is_in_the_pipe_before_the_response_is_posted()
    {
        // The process is killed the moment its response arrives: whatever it had not yet written to the pipe
        // is lost then. Far more output than a pipe buffer holds makes unflushed writes visible.
        var process = Start(LoggingFunction);
        Api.OnResponseRecorded = _ => process.Kill();
        const int lines = 3000;
        var invocation = Api.Enqueue($$"""{"lines":{{lines}},"marker":"m-7d1f"}""");

        var response = (await AwaitAsync(invocation.Report, process)).AsResponse();
        await process.Exited.WaitAsync(Patience);

        Assert.Equal("logged", response.GetString());
        var stdout = process.StdoutLines;
        Assert.Equal(lines + 1, stdout.Count);
        Assert.Equal("marker m-7d1f", stdout[^1]);
    }

    [Fact]
    public async Task Handler_without_a_result_responds_null()
    {
        var process = Start(NoResultFunction);
        var invocation = Api.Enqueue("{}");

        var report = await AwaitAsync(invocation.Report, process);

        Assert.Equal(JsonValueKind.Null, report.AsResponse().ValueKind);
    }

    [Fact]
    public async Task Each_report_asks_for_the_next_event_so_an_invocation_is_one_round_trip()
    {
        var process = Start(CountingFunction);

        var counts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            counts.Add((await AwaitAsync(Api.Enqueue("{}").Report, process)).AsResponse().GetProperty("count").GetInt32());
        }

        Assert.Equal([1, 2, 3], counts);
        Assert.Equal(1, Api.NextPolls); // only the first event came from GET …/next
        Assert.Equal(3, Api.ReportsAskingForNext);
    }

    [Fact]
    public async Task An_error_report_also_brings_the_next_event()
    {
        var process = Start(FailingFunction);

        var first = await AwaitAsync(Api.Enqueue("""{"name":"one"}""").Report, process);
        var second = await AwaitAsync(Api.Enqueue("""{"name":"two"}""").Report, process);

        Assert.Equal("rejected: one", first.AsError().ErrorMessage);
        Assert.Equal("rejected: two", second.AsError().ErrorMessage);
        Assert.Equal(1, Api.NextPolls);
    }

    [Fact]
    public async Task A_runtime_api_without_ferrys_extension_gets_plain_lambda_calls()
    {
        Api.AnswersWithNextInvocation = false; // 202 to every report, as Lambda's own Runtime API answers
        var process = Start(CountingFunction);

        var first = await AwaitAsync(Api.Enqueue("{}").Report, process);
        var second = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal(1, first.AsResponse().GetProperty("count").GetInt32());
        Assert.Equal(2, second.AsResponse().GetProperty("count").GetInt32());
        Assert.InRange(Api.NextPolls, 2, 3); // a GET …/next after each report (the third may be waiting already)
        Assert.False(process.Exited.IsCompleted);
    }

    [Fact]
    public async Task A_retired_instance_is_answered_410_and_the_loop_exits_cleanly()
    {
        var process = Start(CountingFunction);
        await AwaitAsync(Api.Enqueue("{}").Report, process); // its report now waits for the next event

        Api.Retire();

        Assert.Equal(0, await process.Exited.WaitAsync(Patience));
        Assert.DoesNotContain("ferry-runtime:", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_runtime_api_socket_the_loop_talks_over_it_and_not_host_and_port()
    {
        // As in a sandbox with a private network: 127.0.0.1:9001 would reach the API through a forwarder, the socket
        // directly. Here nothing listens at the address's port, so a loop that used it would fail.
        var process = Start(CountingFunction, new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = Api.AddressWithoutListener,
            ["FERRY_RUNTIME_API_SOCKET"] = Api.SocketPath,
        });

        var first = await AwaitAsync(Api.Enqueue("{}").Report, process);
        var second = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal(1, first.AsResponse().GetProperty("count").GetInt32());
        Assert.Equal(2, second.AsResponse().GetProperty("count").GetInt32());
        Assert.InRange(Api.RequestsOverSocket, 2, 3); // the first poll and each report (which brings the next event)
        Assert.False(process.Exited.IsCompleted);
    }

    /// <summary>
    /// With output markers on (as Ferry runs its loops), <see cref="PrintingFunction"/> invoked three times: printing
    /// nothing, printing on stdout, printing on stderr. Returns each invocation's marker line and what was posted.
    /// </summary>
    private protected async Task<(BootstrapProcess Process, PrintedInvocation Quiet, PrintedInvocation Printing, PrintedInvocation Warning)> InvokeQuietThenPrintingAsync()
    {
        var process = Start(PrintingFunction, new Dictionary<string, string> { ["FERRY_OUTPUT_MARKERS"] = "1" });
        var invocations = new List<PrintedInvocation>();
        foreach (var eventJson in new[] { "{}", """{"out":"to stdout"}""", """{"err":"to stderr"}""" })
        {
            var invocation = Api.Enqueue(eventJson);
            var report = await AwaitAsync(invocation.Report, process);
            Assert.Equal("done", report.AsResponse().GetString());
            invocations.Add(new PrintedInvocation("\u001eferry:flushed " + invocation.RequestId, report));
        }

        return (process, invocations[0], invocations[1], invocations[2]);
    }

    private protected sealed record PrintedInvocation(string Marker, InvocationReport Report);

    /// <summary>Waits (bounded) until the loop's output pumps have read what <paramref name="read"/> looks for.</summary>
    private protected static async Task UntilReadAsync(Func<bool> read)
    {
        var giveUpAt = DateTime.UtcNow + Patience;
        while (!read() && DateTime.UtcNow < giveUpAt)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Writes the function's files to the task root and starts the runtime loop on it.</summary>
    private protected BootstrapProcess Start(FunctionCode code, IReadOnlyDictionary<string, string>? environment = null)
    {
        foreach (var (path, source) in code.Files)
        {
            var file = Path.Combine(_taskRoot.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, source);
        }
        var variables = new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = Api.Address,
            ["_HANDLER"] = code.Handler,
            ["LAMBDA_TASK_ROOT"] = _taskRoot.FullName,
            ["AWS_LAMBDA_FUNCTION_NAME"] = "orders-create",
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "7",
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "256",
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/ferry/orders-create",
            ["AWS_LAMBDA_LOG_STREAM_NAME"] = "2024/01/01/[7]instance-1",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        var process = BootstrapProcess.Start(Runtime, variables);
        _processes.Add(process);
        return process;
    }

    /// <summary>Waits for a report; fails fast with the loop's stderr when the loop exits first.</summary>
    private protected static async Task<InvocationReport> AwaitAsync(Task<InvocationReport> report, BootstrapProcess process)
    {
        try
        {
            await Task.WhenAny(report, process.Exited).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"The runtime loop reported nothing within {Patience.TotalSeconds}s. stderr:\n{process.Stderr}");
        }
        if (report.IsCompleted)
        {
            return await report;
        }
        var exitCode = await process.Exited;
        throw new Xunit.Sdk.XunitException(
            $"The runtime loop exited with code {exitCode} before reporting. stderr:\n{process.Stderr}");
    }
}
