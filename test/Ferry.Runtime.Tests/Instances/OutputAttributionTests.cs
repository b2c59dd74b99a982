using System.Net.Http.Json;
using System.Text;
using System.Threading.Channels;
using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Tests.RuntimeApi;
using Ferry.Store;

namespace Ferry.Runtime.Tests.Instances;

/// <summary>
/// Which request a line of a Node or Python function's output belongs to. The test plays the runtime loop over the
/// real Runtime API host and writes the process's output itself, so it can deliver a handler's line only after the
/// answer was posted and the next request has begun: what a busy machine does when the output pipe is read late.
/// </summary>
public sealed class OutputAttributionTests : IAsyncLifetime
{
    /// <summary>Guards against a hung call; never an assertion about speed.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ScriptedSandbox _sandbox = new();
    private readonly RecordingLogSink _logs = new();
    private RuntimeApiTestInstance? _api;

    private RuntimeApiTestInstance Api => _api!;

    private EventFunctionInstance Instance => Api.Instance;

    public async Task InitializeAsync() =>
        _api = await RuntimeApiTestInstance.StartAsync("attribution",
            new FunctionManifest { Name = "fn", Handler = "handler.main", Runtime = "nodejs20.x", MemorySize = 128, Timeout = 30 },
            _sandbox, logs: _logs);

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    /// <summary>Posts a request's answer as Ferry's loop does; <paramref name="silent"/> names the streams it printed nothing on.</summary>
    private Task<HttpResponseMessage> PostResponseAsync(string requestId, string? silent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Api.Url($"/runtime/invocation/{requestId}/response")) { Content = JsonContent.Create(new { ok = requestId }) };
        request.Headers.Add(RuntimeApiHost.FerryNextHeader, "1");
        if (silent is not null)
        {
            request.Headers.Add(RuntimeApiHost.FerrySilentHeader, silent);
        }

        return Api.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_stream_a_request_printed_nothing_on_awaits_no_marker_from_it()
    {
        var process = _sandbox.Process!;
        var first = Instance.InvokeAsync("req-1", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await Api.FirstNext.WaitAsync(Patience)).Dispose();

        // req-1 printed only on stderr, so its loop wrote a marker there alone.
        process.Print(stderr: true, "warning from req-1");
        process.Print(stderr: true, FunctionInstance.OutputMarkerPrefix + "req-1");
        var postedFirst = PostResponseAsync("req-1", silent: "stdout");
        await first.WaitAsync(Patience);
        var second = Instance.InvokeAsync("req-2", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await postedFirst.WaitAsync(Patience)).Dispose();

        // Were req-1 still waiting for a stdout marker, this line would be taken for one of its own.
        process.Print(stderr: false, "printed by req-2");
        process.Flushed("req-2");
        _ = PostResponseAsync("req-2");
        await second.WaitAsync(Patience);

        var lines = await _logs.WaitForReportsAsync(2);
        AssertPrintedBy(lines, "warning from req-1", "req-1");
        AssertPrintedBy(lines, "printed by req-2", "req-2");
    }

    [Fact]
    public async Task A_silent_request_leaves_the_earlier_requests_lines_still_in_the_pipe_to_them()
    {
        var process = _sandbox.Process!;
        var first = Instance.InvokeAsync("req-1", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await Api.FirstNext.WaitAsync(Patience)).Dispose();
        var postedFirst = PostResponseAsync("req-1");
        await first.WaitAsync(Patience);

        // req-2 prints nothing and answers while req-1's line and markers are still unread.
        var second = Instance.InvokeAsync("req-2", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await postedFirst.WaitAsync(Patience)).Dispose();
        _ = PostResponseAsync("req-2", silent: "stdout, stderr");
        await second.WaitAsync(Patience);
        process.Print(stderr: false, "late line of req-1");
        process.Flushed("req-1");

        var lines = await _logs.WaitForReportsAsync(2);
        AssertPrintedBy(lines, "late line of req-1", "req-1");
    }

    [Theory]
    [InlineData("stdout", true, false)]
    [InlineData("stderr", false, true)]
    [InlineData("stdout,stderr", true, true)]
    [InlineData(" stderr , stdout ", true, true)]
    [InlineData("stdin,STDOUT", false, false)]
    [InlineData("", false, false)]
    public void The_silent_header_names_streams_by_their_lowercase_names(string value, bool stdout, bool stderr) =>
        Assert.Equal((stdout, stderr), RuntimeApiHost.SilentStreams(value));

    [Fact]
    public async Task A_line_read_after_the_next_request_began_belongs_to_the_request_that_printed_it()
    {
        var process = _sandbox.Process!;
        var first = Instance.InvokeAsync("req-1", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await Api.FirstNext.WaitAsync(Patience)).Dispose();

        // The handler printed a line on each stream, but the answer overtakes them: the next request begins first.
        var postedFirst = PostResponseAsync("req-1");
        await first.WaitAsync(Patience);
        var second = Instance.InvokeAsync("req-2", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await postedFirst.WaitAsync(Patience)).Dispose();

        process.Print(stderr: false, "printed by req-1");
        process.Print(stderr: true, "warning from req-1");
        process.Flushed("req-1");
        process.Print(stderr: false, "printed by req-2");
        process.Flushed("req-2");
        _ = PostResponseAsync("req-2"); // waits for a next request until the instance stops
        await second.WaitAsync(Patience);

        var lines = await _logs.WaitForReportsAsync(2);
        AssertPrintedBy(lines, "printed by req-1", "req-1");
        AssertPrintedBy(lines, "warning from req-1", "req-1");
        AssertPrintedBy(lines, "printed by req-2", "req-2");
    }

    [Fact]
    public async Task Output_after_a_request_was_flushed_and_before_the_next_belongs_to_the_last_request()
    {
        var process = _sandbox.Process!;
        var first = Instance.InvokeAsync("req-1", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await Api.FirstNext.WaitAsync(Patience)).Dispose();
        process.Flushed("req-1");
        _ = PostResponseAsync("req-1");
        await first.WaitAsync(Patience);

        process.Print(stderr: false, "a timer the handler left running");
        var lines = await _logs.WaitForAsync(entries => entries.Any(e => e.Message == "a timer the handler left running"));
        Assert.Equal("req-1", lines.Single(e => e.Message == "a timer the handler left running").RequestId);
    }

    [Fact]
    public async Task A_silent_request_has_its_platform_lines_stored_as_one_row_and_a_printing_one_its_START_before_its_first_line()
    {
        var process = _sandbox.Process!;
        var first = Instance.InvokeAsync("req-1", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await Api.FirstNext.WaitAsync(Patience)).Dispose();
        var postedFirst = PostResponseAsync("req-1", silent: "stdout,stderr");
        await first.WaitAsync(Patience);

        var second = Instance.InvokeAsync("req-2", Encoding.UTF8.GetBytes("{}"), coldStart: false);
        (await postedFirst.WaitAsync(Patience)).Dispose();
        process.Print(stderr: true, "warning from req-2");
        process.Flushed("req-2");
        _ = PostResponseAsync("req-2");
        await second.WaitAsync(Patience);

        var lines = await _logs.WaitForReportsAsync(2);
        string[] Of(string requestId) => [.. lines.Where(l => l.RequestId == requestId).Select(l => l.Message.Split('\t')[0])];
        Assert.Equal(["START RequestId: req-1 Version: 1", "END RequestId: req-1", "REPORT RequestId: req-1"], Of("req-1"));
        Assert.Equal(["START RequestId: req-2 Version: 1", "warning from req-2", "END RequestId: req-2", "REPORT RequestId: req-2"], Of("req-2"));
        Assert.Equal([3, 1, 1, 2], _logs.Rows.Where(r => r.RequestId is not null).Select(r => r.LineCount)); // req-1: all three; req-2: START, its line, END with REPORT
        Assert.Equal(lines.Select((_, i) => lines[0].Id + i), lines.Select(l => l.Id));
    }

    /// <summary>The line was stored once, as <paramref name="requestId"/>'s, and before that request's END line.</summary>
    private static void AssertPrintedBy(IReadOnlyList<LogEntry> lines, string message, string requestId)
    {
        Assert.Equal(requestId, Assert.Single(lines, e => e.Message == message).RequestId);
        var order = lines.Select(e => e.Message).ToList();
        Assert.True(order.IndexOf(message) < order.IndexOf($"END RequestId: {requestId}"), string.Join(" | ", order));
    }

    /// <summary>Starts one process whose output the test writes.</summary>
    private sealed class ScriptedSandbox : ISandbox
    {
        public ScriptedProcess? Process { get; private set; }

        public string Description => "scripted process (test)";

        public Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken)
        {
            Assert.Equal("1", spec.Environment["FERRY_OUTPUT_MARKERS"]);
            Process = new ScriptedProcess();
            return Task.FromResult<ISandboxedProcess>(Process);
        }
    }

    private sealed class ScriptedProcess : ISandboxedProcess
    {
        private readonly Channel<OutputLine> _output = Channel.CreateUnbounded<OutputLine>();
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Pid => 0;

        public ChannelReader<OutputLine> Output => _output.Reader;

        public Task<int> Exited => _exited.Task;

        public void Print(bool stderr, string text) => _output.Writer.TryWrite(new OutputLine(stderr, text, DateTimeOffset.UtcNow));

        /// <summary>What Ferry's runtime loop prints on both streams before it posts a request's answer.</summary>
        public void Flushed(string requestId)
        {
            Print(stderr: false, FunctionInstance.OutputMarkerPrefix + requestId);
            Print(stderr: true, FunctionInstance.OutputMarkerPrefix + requestId);
        }

        public long? PeakMemoryBytes() => null;

        public Task KillAsync()
        {
            _output.Writer.TryComplete();
            _exited.TrySetResult(137);
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync() => await KillAsync();
    }

    /// <summary>Keeps every log line the pipeline writes.</summary>
    private sealed class RecordingLogSink : ILogSink
    {
        private readonly List<LogEntry> _entries = [];

        /// <summary>The rows as written (an entry may hold several lines).</summary>
        public List<NewLogEntry> Rows { get; } = [];

        public Task<IReadOnlyList<LogEntry>> AppendLogsAsync(IReadOnlyList<NewLogEntry> entries, CancellationToken cancellationToken)
        {
            lock (_entries)
            {
                Rows.AddRange(entries);
                var added = new List<LogEntry>();
                foreach (var entry in entries)
                {
                    added.AddRange(entry.Stored(_entries.Count + added.Count + entry.LineCount));
                }

                _entries.AddRange(added);
                return Task.FromResult<IReadOnlyList<LogEntry>>(added);
            }
        }

        /// <summary>The lines stored once <paramref name="count"/> REPORT lines are among them (or the patience ran out).</summary>
        public Task<IReadOnlyList<LogEntry>> WaitForReportsAsync(int count) =>
            WaitForAsync(entries => entries.Count(e => e.Message.StartsWith("REPORT", StringComparison.Ordinal)) == count);

        public async Task<IReadOnlyList<LogEntry>> WaitForAsync(Func<IReadOnlyList<LogEntry>, bool> done)
        {
            var giveUpAt = DateTimeOffset.UtcNow + Patience;
            while (true)
            {
                List<LogEntry> snapshot;
                lock (_entries)
                {
                    snapshot = [.. _entries];
                }

                if (done(snapshot) || DateTimeOffset.UtcNow > giveUpAt)
                {
                    return snapshot;
                }

                await Task.Delay(20);
            }
        }
    }
}
