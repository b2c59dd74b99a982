using System.Text.Json;
using Ferry.Runtime.Instances;
using Ferry.Runtime.StemCells;
using Ferry.Store;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>Stem cells in the real sandbox: taken by cold starts, never shared, refilled, replaced, and skipped when they can't fit.</summary>
public sealed class StemCellPoolTests : IAsyncLifetime
{
    private const string NodeHandler = """
        const fs = require('fs');
        exports.handler = async (event) => {
          console.log('handled for ' + process.env.GREETING);
          return {
            greeting: process.env.GREETING ?? null,
            functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? null,
            stemCellVariable: process.env.FERRY_STEM_CELL ?? null,
            files: fs.readdirSync('/var/task').sort(),
            utcOffset: -new Date(0).getTimezoneOffset(),
          };
        };
        """;

    private const string PythonHandler = """
        import os, time
        def handler(event, context):
            print('handled for ' + os.environ.get('GREETING', ''))
            return {
                'greeting': os.environ.get('GREETING'),
                'functionName': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'),
                'stemCellVariable': os.environ.get('FERRY_STEM_CELL'),
                'files': sorted(os.listdir('/var/task')),
                'utcOffset': time.localtime(0).tm_gmtoff // 60,
            }
        """;

    private StemCellTestHost _host = null!;

    public async Task InitializeAsync() => _host = await StemCellTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static (string Runtime, string Handler, (string, string)[] Files) Code(string runtime, params (string, string)[] extraFiles)
        => runtime.StartsWith("node", StringComparison.Ordinal)
            ? (runtime, "app.handler", [("app.js", NodeHandler), .. extraFiles])
            : (runtime, "app.handler", [("app.py", PythonHandler), .. extraFiles]);

    private async Task<StemCell> ReadyCellAsync(StemCellFamily family)
    {
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(family) > 0, $"a {family} stem cell is ready");
        return _host.Cells.ReadyCells(family).First(c => c.IsWaiting);
    }

    [Theory]
    [InlineData("nodejs20.x")]
    [InlineData("python3.11")]
    public async Task A_stem_cell_serves_the_first_request_as_the_function_with_its_environment_logs_and_cold_start(string runtime)
    {
        var (_, handler, files) = Code(runtime);
        var function = _host.Function(runtime, handler, files, new Dictionary<string, string> { ["GREETING"] = "hello", ["TZ"] = "Asia/Tokyo" });
        var cell = await ReadyCellAsync(StemCellFamily.Of(function.Function)!);
        await using var pool = _host.Pool(function);

        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);

        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(result.ColdStart);
        Assert.True(instance.FromStemCell);
        Assert.Equal(cell.Id, instance.Id);
        var answer = JsonDocument.Parse(result.Payload).RootElement;
        Assert.Equal("hello", answer.GetProperty("greeting").GetString());
        Assert.Equal(function.QualifiedName, answer.GetProperty("functionName").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("stemCellVariable").ValueKind);
        Assert.Equal(files.Select(f => f.Item1).Order(StringComparer.Ordinal), answer.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(9 * 60, answer.GetProperty("utcOffset").GetInt32()); // TZ given at identity time, not at process start

        var logs = await _host.LogsUntilReportAsync(function);
        Assert.All(logs, l => Assert.Equal(cell.Id, l.InstanceId));
        var messages = logs.Select(l => l.Message).ToList();
        Assert.StartsWith("INIT_START ", messages[0]);
        Assert.Contains("StemCell: true", messages[0]);
        Assert.Contains(logs, l => l.Message == $"START RequestId: {result.RequestId} Version: 1" && l.RequestId == result.RequestId);
        Assert.Contains(logs, l => l.Message == "handled for hello" && l.RequestId == result.RequestId && l.Stream == LogStream.Stdout);
        Assert.Contains(logs, l => l.Message == $"END RequestId: {result.RequestId}");
        var report = Assert.Single(logs, l => l.Message.StartsWith("REPORT ", StringComparison.Ordinal));
        Assert.Contains("Cold Start: true", report.Message);
        Assert.Contains("Memory Size: 256 MB", report.Message);
    }

    [Fact]
    public async Task A_taken_cell_gets_the_function_memory_limit_in_its_cgroup()
    {
        var (runtime, handler, files) = Code("python3.11");
        var function = _host.Function(runtime, handler, files, memorySize: 200);
        var cell = await ReadyCellAsync(StemCellFamily.Python);
        var cgroup = cell.Process.Cgroup;
        Assert.True(cgroup is not null, "these tests expect cgroups with a memory controller");
        await using var pool = _host.Pool(function);

        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);

        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(instance.FromStemCell);
        var limits = cgroup.Directories
            .Select(d => File.Exists(Path.Combine(d, "memory.max")) ? Path.Combine(d, "memory.max") : Path.Combine(d, "memory.limit_in_bytes"))
            .Where(File.Exists)
            .Select(f => long.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(200L * 1024 * 1024, Assert.Single(limits));
    }

    [Fact]
    public async Task A_used_cell_is_never_given_to_another_function_which_sees_only_its_own_files_and_the_pool_refills()
    {
        var (runtime, handler, files) = Code("nodejs20.x");
        var first = _host.Function(runtime, handler, [.. files, ("first-secret.txt", "a")]);
        var second = _host.Function(runtime, handler, [.. files, ("second-only.txt", "b")]);
        var firstCell = await ReadyCellAsync(StemCellFamily.Node);
        await using var firstPool = _host.Pool(first);
        await using var secondPool = _host.Pool(second);

        var (firstResult, firstInstance) = await StemCellTestHost.InvokeAsync(firstPool);
        Assert.Equal(firstCell.Id, firstInstance.Id);

        // The pool starts a new cell for the taken one; the taken one is never offered again.
        var refill = await ReadyCellAsync(StemCellFamily.Node);
        Assert.NotEqual(firstCell.Id, refill.Id);
        Assert.Empty(Directory.EnumerateFileSystemEntries(refill.CodeDirectory));

        var (secondResult, secondInstance) = await StemCellTestHost.InvokeAsync(secondPool);
        Assert.True(secondInstance.FromStemCell);
        Assert.Equal(refill.Id, secondInstance.Id);
        Assert.NotEqual(firstInstance.Id, secondInstance.Id);

        string[] Files(InvocationResult result) => [.. JsonDocument.Parse(result.Payload).RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)];
        Assert.Equal(["app.js", "first-secret.txt"], Files(firstResult));
        Assert.Equal(["app.js", "second-only.txt"], Files(secondResult));

        // The first function's next request stays on its own instance.
        var (again, againInstance) = await StemCellTestHost.InvokeAsync(firstPool);
        Assert.Same(firstInstance, againInstance);
        Assert.False(again.ColdStart);
        await StemCellTestHost.WaitUntilAsync(() => _host.Cells.ReadyCount(StemCellFamily.Node) == 1, "the node stem cell is refilled again");
        Assert.DoesNotContain(_host.Cells.ReadyCells(StemCellFamily.Node), c => c.Id == firstCell.Id || c.Id == refill.Id);
    }

    public static TheoryData<string, string?, bool> Misfits => new()
    {
        { "nodejs20.x", "NODE_OPTIONS", false },
        { "python3.11", "PYTHONPATH", false },
        { "nodejs20.x", null, true },
    };

    [Theory]
    [MemberData(nameof(Misfits))]
    public async Task A_function_with_needs_a_cell_cannot_meet_gets_a_normal_cold_start_and_leaves_the_cell(string runtime, string? startVariable, bool outboundNetwork)
    {
        var (_, handler, files) = Code(runtime);
        var environment = new Dictionary<string, string> { ["GREETING"] = "plain" };
        if (startVariable is not null)
        {
            environment[startVariable] = startVariable == "PYTHONPATH" ? "/var/task/lib" : "--max-old-space-size=100";
        }

        var function = _host.Function(runtime, handler, files, environment, outboundNetwork);
        var family = StemCellFamily.Of(function.Function)!;
        var cell = await ReadyCellAsync(family);
        await using var pool = _host.Pool(function);

        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);

        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(result.ColdStart);
        Assert.False(instance.FromStemCell);
        Assert.NotEqual(cell.Id, instance.Id);
        Assert.True(cell.IsWaiting);
        Assert.Contains(_host.Cells.ReadyCells(family), c => c.Id == cell.Id);
        var logs = await _host.LogsUntilReportAsync(function);
        Assert.DoesNotContain(logs, l => l.Message.Contains("StemCell: true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cell_that_dies_after_it_was_taken_gives_way_to_a_normal_start_instead_of_failing_the_request()
    {
        var (runtime, handler, files) = Code("nodejs20.x");
        var function = _host.Function(runtime, handler, files, new Dictionary<string, string> { ["GREETING"] = "fallback" });
        await ReadyCellAsync(StemCellFamily.Node);
        var cell = _host.Cells.TryTake(function);
        Assert.NotNull(cell);
        await cell.Process.KillAsync();

        await using var instance = new EventFunctionInstance(function, _host.Services, cell);
        await instance.StartAsync(CancellationToken.None);
        var result = await instance.InvokeAsync(Guid.NewGuid().ToString(), "{}"u8.ToArray(), coldStart: true);

        Assert.False(instance.FromStemCell);
        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.Equal("fallback", JsonDocument.Parse(result.Payload).RootElement.GetProperty("greeting").GetString());
        Assert.False(Directory.Exists(cell.CodeDirectory));
    }

    [Fact]
    public async Task A_cell_that_dies_while_waiting_is_replaced_and_the_replacement_serves()
    {
        var cell = await ReadyCellAsync(StemCellFamily.Python);
        await cell.Process.KillAsync();

        await StemCellTestHost.WaitUntilAsync(
            () => _host.Cells.ReadyCells(StemCellFamily.Python).Any(c => c.Id != cell.Id && c.IsWaiting),
            "a new python stem cell replaces the killed one");
        Assert.DoesNotContain(_host.Cells.ReadyCells(StemCellFamily.Python), c => c.Id == cell.Id);
        await StemCellTestHost.WaitUntilAsync(() => !Directory.Exists(cell.CodeDirectory), "the dead cell's code folder is removed");

        var (runtime, handler, files) = Code("python3.11");
        await using var pool = _host.Pool(_host.Function(runtime, handler, files));
        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);
        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(instance.FromStemCell);
    }
}
