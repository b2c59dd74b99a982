namespace Ferry.Runtime.Tests.Bootstrap;

public sealed class PythonBootstrapTests : BootstrapContractTests
{
    private protected override BootstrapRuntime Runtime => BootstrapRuntime.Python;

    protected override FunctionCode EchoFunction => App("""
        def handler(event, context):
            return {"echo": event}
        """);

    protected override FunctionCode ContextFunction => App("""
        import os

        def handler(event, context):
            return {
                "requestId": context.aws_request_id,
                "functionName": context.function_name,
                "functionVersion": context.function_version,
                "invokedFunctionArn": context.invoked_function_arn,
                "memoryLimitInMB": context.memory_limit_in_mb,
                "logGroupName": context.log_group_name,
                "logStreamName": context.log_stream_name,
                "remainingMs": context.get_remaining_time_in_millis(),
                "traceId": os.environ.get("_X_AMZN_TRACE_ID"),
            }
        """);

    protected override FunctionCode FailingFunction => App("""
        class ValidationError(Exception):
            pass

        def handler(event, context):
            raise ValidationError("rejected: " + event["name"])
        """);

    protected override FunctionCode CountingFunction => App("""
        count = 0

        def handler(event, context):
            global count
            count += 1
            return {"count": count}
        """);

    protected override FunctionCode LoggingFunction => App("""
        def handler(event, context):
            line = "x" * 100
            for _ in range(event["lines"]):
                print(line)
            print("marker " + event["marker"])
            return "logged"
        """);

    protected override FunctionCode NoResultFunction => App("""
        def handler(event, context):
            pass
        """);

    protected override FunctionCode SyntaxErrorFunction => App("""
        def handler(event, context)
            return 1
        """);

    protected override FunctionCode MissingExportFunction => App("""
        def something_else(event, context):
            return 1
        """);

    protected override FunctionCode PrintingFunction => App("""
        import sys

        def handler(event, context):
            if event.get("out"):
                print(event["out"])
            if event.get("err"):
                print(event["err"], file=sys.stderr)
            return "done"
        """);

    private static FunctionCode App(string source) => new("app.handler", ("app.py", source));

    [Theory]
    [InlineData("orders/api/create.handler")]
    [InlineData("orders.api.create.handler")]
    public async Task Handler_in_a_package_is_imported_with_the_task_root_on_the_path(string handler)
    {
        var process = Start(new FunctionCode(handler,
            ("orders/__init__.py", ""),
            ("orders/pricing.py", "def total(items):\n    return sum(items)\n"),
            ("orders/api/create.py", """
                from orders.pricing import total

                def handler(event, context):
                    return {"total": total(event["items"])}
                """)));

        var report = await AwaitAsync(Api.Enqueue("""{"items":[5,10,27]}""").Report, process);

        Assert.Equal(42, report.AsResponse().GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task With_output_markers_an_invocation_that_wrote_nothing_gets_none_and_the_post_says_so()
    {
        var (process, quiet, printing, warning) = await InvokeQuietThenPrintingAsync();

        // The loop only knows whether the process wrote anything, not where: both markers, or neither.
        Assert.Equal("stdout,stderr", quiet.Report.SilentHeader);
        Assert.Null(printing.Report.SilentHeader);
        Assert.Null(warning.Report.SilentHeader);
        await UntilReadAsync(() => process.StdoutLines.Contains(warning.Marker) && process.Stderr.Contains(warning.Marker, StringComparison.Ordinal));
        Assert.Equal(["to stdout", printing.Marker, warning.Marker], process.StdoutLines);
        Assert.Equal(string.Join('\n', printing.Marker, "to stderr", warning.Marker), process.Stderr);
    }

    [Fact]
    public async Task The_trace_variable_follows_each_invocation_in_os_environ_and_in_children_given_it()
    {
        // Kept in os.environ only, not set with setenv(3) (glibc keeps every value ever set): Python code sees it, and a
        // subprocess given env=os.environ does.
        var process = Start(App("""
            import os
            import subprocess
            import sys

            def handler(event, context):
                child = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('_X_AMZN_TRACE_ID', '(none)'), end='')"],
                                       env=os.environ, capture_output=True, text=True, check=True)
                return {
                    "read": os.environ.get("_X_AMZN_TRACE_ID"),
                    "getenv": os.getenv("_X_AMZN_TRACE_ID"),
                    "has": "_X_AMZN_TRACE_ID" in os.environ,
                    "child": child.stdout,
                    "otherVariablesStillReal": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                }
            """));

        foreach (var trace in new[] { "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0", "Root=1-5759e989-00000000000000000000000a;Sampled=0", null })
        {
            var answer = (await AwaitAsync(Api.Enqueue("{}", traceId: trace).Report, process)).AsResponse();
            Assert.Equal(trace, answer.GetProperty("read").GetString());
            Assert.Equal(trace, answer.GetProperty("getenv").GetString());
            Assert.Equal(trace is not null, answer.GetProperty("has").GetBoolean());
            Assert.Equal(trace ?? "(none)", answer.GetProperty("child").GetString());
            Assert.Equal("orders-create", answer.GetProperty("otherVariablesStillReal").GetString());
        }
    }

    [Fact]
    public async Task Missing_dependency_of_the_module_is_an_import_error()
    {
        var process = Start(App("""
            import no_such_dependency

            def handler(event, context):
                return 1
            """));

        var error = (await AwaitAsync(Api.InitError, process)).AsError();

        Assert.Equal("Runtime.ImportModuleError", error.ErrorType);
        Assert.Contains("no_such_dependency", error.ErrorMessage);
    }

    [Fact]
    public async Task Logging_records_reach_the_log_with_the_request_id_as_on_lambda()
    {
        var process = Start(App("""
            import logging

            logging.basicConfig(level=logging.DEBUG)  # a no-op on Lambda: the root logger already has a handler
            logger = logging.getLogger()
            logger.setLevel(logging.INFO)

            def handler(event, context):
                logger.info("info %s", event["marker"])
                logging.getLogger("app.db").warning("warning from a child logger")
                logger.debug("debug is below the level")
                return "logged"
            """));
        Api.OnResponseRecorded = _ => process.Kill();
        var invocation = Api.Enqueue("""{"marker":"m-42"}""");

        var response = (await AwaitAsync(invocation.Report, process)).AsResponse();
        await process.Exited.WaitAsync(Patience);

        Assert.Equal("logged", response.GetString());
        var lines = process.StdoutLines;
        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[^\t]+\tinfo m-42$", lines[0]);
        Assert.StartsWith("[WARNING]\t", lines[1]);
        Assert.EndsWith("\twarning from a child logger", lines[1]);
        Assert.Equal(lines[0].Split('\t')[2], lines[1].Split('\t')[2]);
    }

    [Fact]
    public async Task Result_that_is_not_json_is_a_marshal_error_and_the_loop_goes_on()
    {
        var process = Start(App("""
            def handler(event, context):
                return {1, 2} if event.get("bad") else "fine"
            """));

        var bad = await AwaitAsync(Api.Enqueue("""{"bad":true}""").Report, process);
        var good = await AwaitAsync(Api.Enqueue("{}").Report, process);

        var error = bad.AsError();
        Assert.Equal("Runtime.MarshalError", error.ErrorType);
        Assert.Contains("set", error.ErrorMessage);
        Assert.Equal("fine", good.AsResponse().GetString());
    }
}
