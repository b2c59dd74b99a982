using System.Text.Json;

namespace Ferry.Runtime.Tests.Bootstrap;

public sealed class NodeBootstrapTests : BootstrapContractTests
{
    private protected override BootstrapRuntime Runtime => BootstrapRuntime.Node;

    protected override FunctionCode EchoFunction => Esm("export const handler = async (event) => ({ echo: event });");

    protected override FunctionCode ContextFunction => Esm("""
        export async function handler(event, context) {
          return {
            requestId: context.awsRequestId,
            functionName: context.functionName,
            functionVersion: context.functionVersion,
            invokedFunctionArn: context.invokedFunctionArn,
            memoryLimitInMB: context.memoryLimitInMB,
            logGroupName: context.logGroupName,
            logStreamName: context.logStreamName,
            remainingMs: context.getRemainingTimeInMillis(),
            traceId: process.env._X_AMZN_TRACE_ID,
          };
        }
        """);

    protected override FunctionCode FailingFunction => Esm("""
        class ValidationError extends Error {
          constructor(message) { super(message); this.name = 'ValidationError'; }
        }
        export const handler = async (event) => { throw new ValidationError('rejected: ' + event.name); };
        """);

    protected override FunctionCode CountingFunction => Esm("""
        let count = 0;
        export const handler = async () => ({ count: ++count });
        """);

    protected override FunctionCode LoggingFunction => Esm("""
        export function handler(event) {
          const line = 'x'.repeat(100);
          for (let i = 0; i < event.lines; i++) console.log(line);
          console.log('marker ' + event.marker);
          return 'logged';
        }
        """);

    protected override FunctionCode NoResultFunction => Esm("export const handler = async () => {};");

    protected override FunctionCode SyntaxErrorFunction => Esm("export const handler = async (event) => { return {; };");

    protected override FunctionCode MissingExportFunction => Esm("export const somethingElse = () => 1;");

    protected override FunctionCode PrintingFunction => Esm("""
        export const handler = async (event) => {
          if (event.out) console.log(event.out);
          if (event.err) console.error(event.err);
          return 'done';
        };
        """);

    private static FunctionCode Esm(string source) => new("index.handler", ("index.mjs", source));

    [Fact]
    public async Task With_output_markers_only_the_streams_an_invocation_printed_on_get_one_and_the_post_names_the_others()
    {
        var (process, quiet, printing, warning) = await InvokeQuietThenPrintingAsync();

        Assert.Equal("stdout,stderr", quiet.Report.SilentHeader);
        Assert.Equal("stderr", printing.Report.SilentHeader);
        Assert.Equal("stdout", warning.Report.SilentHeader);
        await UntilReadAsync(() => process.StdoutLines.Contains(printing.Marker) && process.Stderr.Contains(warning.Marker, StringComparison.Ordinal));
        Assert.Equal(["to stdout", printing.Marker], process.StdoutLines);
        Assert.Equal("to stderr\n" + warning.Marker, process.Stderr);
    }

    [Fact]
    public async Task Synchronous_commonjs_handler_returns_its_value()
    {
        var process = Start(new FunctionCode("index.handler",
            ("index.js", "exports.handler = (event) => event.a + event.b;")));

        var report = await AwaitAsync(Api.Enqueue("""{"a":2,"b":3}""").Report, process);

        Assert.Equal(5, report.AsResponse().GetInt32());
    }

    [Fact]
    public async Task Commonjs_export_only_visible_on_the_default_export_is_found()
    {
        var process = Start(new FunctionCode("index.handler", ("index.js", """
            const exported = {};
            exported['hand' + 'ler'] = async () => 'found on default';
            module.exports = exported;
            """)));

        var report = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal("found on default", report.AsResponse().GetString());
    }

    [Fact]
    public async Task Cjs_file_in_a_subfolder_is_resolved()
    {
        var process = Start(new FunctionCode("lib/app.handler",
            ("lib/app.cjs", "module.exports.handler = async () => 'from cjs';")));

        var report = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal("from cjs", report.AsResponse().GetString());
    }

    [Fact]
    public async Task Js_file_is_an_es_module_when_package_json_says_so()
    {
        var process = Start(new FunctionCode("index.handler",
            ("package.json", """{"type":"module"}"""),
            ("index.js", "export const handler = async () => typeof require;")));

        var report = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal("undefined", report.AsResponse().GetString());
    }

    [Fact]
    public async Task The_trace_variable_follows_each_invocation_in_process_env_and_in_child_processes()
    {
        // Kept in JavaScript, not set with setenv(3) (glibc keeps every value ever set): it must still look like a variable.
        var process = Start(Esm("""
            import { execFileSync } from 'node:child_process';
            export const handler = async () => ({
              read: process.env._X_AMZN_TRACE_ID ?? null,
              has: '_X_AMZN_TRACE_ID' in process.env,
              listed: Object.keys(process.env).filter((key) => key === '_X_AMZN_TRACE_ID').length,
              copied: { ...process.env }._X_AMZN_TRACE_ID ?? null,
              child: execFileSync(process.execPath, ['-e', 'process.stdout.write(process.env._X_AMZN_TRACE_ID ?? "(none)")']).toString(),
              otherVariablesStillReal: process.env.AWS_LAMBDA_FUNCTION_NAME,
            });
            """));

        foreach (var trace in new[] { "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0", "Root=1-5759e989-00000000000000000000000a;Sampled=0", null })
        {
            var answer = (await AwaitAsync(Api.Enqueue("{}", traceId: trace).Report, process)).AsResponse();
            Assert.Equal(trace, answer.GetProperty("read").GetString());
            Assert.Equal(trace is not null, answer.GetProperty("has").GetBoolean());
            Assert.Equal(trace is null ? 0 : 1, answer.GetProperty("listed").GetInt32());
            Assert.Equal(trace, answer.GetProperty("copied").GetString());
            Assert.Equal(trace ?? "(none)", answer.GetProperty("child").GetString());
            Assert.Equal("orders-create", answer.GetProperty("otherVariablesStillReal").GetString());
        }
    }

    [Fact]
    public async Task Async_handler_result_is_awaited()
    {
        var process = Start(Esm("""
            export const handler = async (event) => {
              await new Promise((resolve) => setTimeout(resolve, 20));
              return { doubled: event.n * 2 };
            };
            """));

        var report = await AwaitAsync(Api.Enqueue("""{"n":21}""").Report, process);

        Assert.Equal(42, report.AsResponse().GetProperty("doubled").GetInt32());
    }

    [Fact]
    public async Task Callback_style_handler_answers_through_the_callback()
    {
        var process = Start(new FunctionCode("index.handler", ("index.js", """
            exports.handler = (event, context, callback) => {
              setTimeout(() => callback(null, { via: 'callback', requestId: context.awsRequestId }), 10);
            };
            """)));
        var invocation = Api.Enqueue("{}");

        var response = (await AwaitAsync(invocation.Report, process)).AsResponse();

        Assert.Equal("callback", response.GetProperty("via").GetString());
        Assert.Equal(invocation.RequestId, response.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task Callback_style_handler_that_never_calls_back_responds_null_once_its_work_is_done()
    {
        var process = Start(new FunctionCode("index.handler", ("index.js", """
            exports.handler = (event, context, callback) => {
              setTimeout(() => console.log('work done'), 10);
            };
            """)));

        var report = await AwaitAsync(Api.Enqueue("{}").Report, process);

        Assert.Equal(JsonValueKind.Null, report.AsResponse().ValueKind);
        Assert.False(process.Exited.IsCompleted);
    }

    [Fact]
    public async Task Callback_style_handler_error_is_reported()
    {
        var process = Start(new FunctionCode("index.handler", ("index.js", """
            exports.handler = (event, context, callback) => {
              setImmediate(() => callback(new TypeError('bad callback')));
            };
            """)));

        var error = (await AwaitAsync(Api.Enqueue("{}").Report, process)).AsError();

        Assert.Equal("TypeError", error.ErrorType);
        Assert.Equal("bad callback", error.ErrorMessage);
    }

    [Fact]
    public async Task Unhandled_rejection_fails_the_invocation_and_ends_the_process()
    {
        var process = Start(Esm("""
            export const handler = async () => {
              Promise.reject(new Error('nobody caught this'));
              await new Promise((resolve) => setTimeout(resolve, 600_000));
              return 'never';
            };
            """));

        var error = (await AwaitAsync(Api.Enqueue("{}").Report, process)).AsError();

        Assert.Equal("Runtime.UnhandledPromiseRejection", error.ErrorType);
        Assert.Equal("nobody caught this", error.ErrorMessage);
        Assert.Equal(1, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task Uncaught_exception_fails_the_invocation_and_ends_the_process()
    {
        var process = Start(Esm("""
            export const handler = async () => {
              setTimeout(() => { throw new RangeError('thrown from a timer'); }, 0);
              await new Promise((resolve) => setTimeout(resolve, 600_000));
              return 'never';
            };
            """));

        var error = (await AwaitAsync(Api.Enqueue("{}").Report, process)).AsError();

        Assert.Equal("RangeError", error.ErrorType);
        Assert.Equal("thrown from a timer", error.ErrorMessage);
        Assert.Equal(1, await process.Exited.WaitAsync(Patience));
    }
}
