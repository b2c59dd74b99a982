namespace Ferry.Store.Tests;

public abstract class LogAndInvocationTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    [Fact]
    public async Task Appended_logs_get_ascending_ids_and_read_back_unchanged()
    {
        var (app, revision) = await DeployAsync();
        var batch = new[]
        {
            Log(app.Id, revision.Id, "START RequestId: req-1", stream: LogStream.Platform),
            Log(app.Id, revision.Id, "hello", second: 1),
            Log(app.Id, revision.Id, "oops", second: 2, stream: LogStream.Stderr, requestId: null),
        };

        var stored = await Store.AppendLogsAsync(batch, CancellationToken.None);
        var read = await Store.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None);

        Assert.Equal(stored, read);
        Assert.True(stored[0].Id < stored[1].Id && stored[1].Id < stored[2].Id);
        Assert.Equal(
            batch,
            read.Select(l => new NewLogEntry(l.AppStageId, l.RevisionId, l.Function, l.RequestId, l.InstanceId, l.Time, l.Stream, l.Message)));
    }

    [Fact]
    public async Task A_large_batch_reads_back_in_order_under_the_ids_it_was_given()
    {
        var (app, revision) = await DeployAsync();
        await Store.AppendLogsAsync([Log(app.Id, revision.Id, "before")], CancellationToken.None);
        var batch = Enumerable.Range(0, 75)
            .Select(i => Log(app.Id, revision.Id, $"line {i}", function: i % 2 == 0 ? "even" : "odd", second: i % 7,
                stream: i % 3 == 0 ? LogStream.Stderr : LogStream.Stdout, requestId: i % 5 == 0 ? null : $"req-{i}"))
            .ToList();

        var stored = await Store.AppendLogsAsync(batch, CancellationToken.None);
        var read = await Store.QueryLogsAsync(new LogQuery(app.Id, AfterId: stored[0].Id - 1, Limit: 1000), CancellationToken.None);

        Assert.Equal(stored, read);
        Assert.Equal(batch.Select(b => b.Message), read.Select(l => l.Message));
        Assert.Equal(batch.Select(b => (b.Function, b.RequestId, b.Stream, b.Time)), read.Select(l => (l.Function, l.RequestId, l.Stream, l.Time)));
    }

    [Fact]
    public async Task Logs_are_filtered_by_function_cursor_and_time()
    {
        var (app, revision) = await DeployAsync();
        var stored = await Store.AppendLogsAsync(
        [
            Log(app.Id, revision.Id, "c0", function: "create", second: 0),
            Log(app.Id, revision.Id, "l1", function: "list", second: 10),
            Log(app.Id, revision.Id, "c2", function: "create", second: 20),
            Log(app.Id, revision.Id, "c3", function: "create", second: 30),
        ], CancellationToken.None);

        Assert.Equal(["c0", "c2", "c3"], await MessagesAsync(new LogQuery(app.Id, Function: "create")));
        Assert.Equal(["c2", "c3"], await MessagesAsync(new LogQuery(app.Id, AfterId: stored[1].Id)));
        Assert.Equal(["l1", "c2", "c3"], await MessagesAsync(new LogQuery(app.Id, Since: T0.AddSeconds(10))));
        Assert.Equal(["c3"], await MessagesAsync(new LogQuery(app.Id, Function: "create", AfterId: stored[0].Id, Since: T0.AddSeconds(25))));
        Assert.Equal(["c0", "l1"], await MessagesAsync(new LogQuery(app.Id, Limit: 2)));
    }

    [Theory]
    [InlineData("ERROR", new[] { "Error: disk full", "an error occurred" })]
    [InlineData("0%", new[] { "progress 100% done" })]
    [InlineData("a_b", new[] { "key a_b set" })]
    [InlineData(@"C:\tmp", new[] { @"path C:\tmp\x" })]
    [InlineData("%", new[] { "progress 100% done" })]
    public async Task Contains_is_a_case_insensitive_literal_substring(string needle, string[] expected)
    {
        var (app, revision) = await DeployAsync();
        string[] messages = ["Error: disk full", "an error occurred", "progress 100% done", "progress 1000 done", "key a_b set", "key axb set", @"path C:\tmp\x", "path C:tmp"];
        await Store.AppendLogsAsync(messages.Select(m => Log(app.Id, revision.Id, m)).ToList(), CancellationToken.None);

        Assert.Equal(expected, await MessagesAsync(new LogQuery(app.Id, Contains: needle)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    [InlineData(3, 3)]
    [InlineData(int.MaxValue, 12)]
    public async Task Log_limit_is_clamped_to_at_least_one(int limit, int expected)
    {
        var (app, revision) = await DeployAsync();
        await Store.AppendLogsAsync(Enumerable.Range(0, 12).Select(i => Log(app.Id, revision.Id, $"m{i}")).ToList(), CancellationToken.None);

        Assert.Equal(expected, (await Store.QueryLogsAsync(new LogQuery(app.Id, Limit: limit), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Logs_of_other_app_stages_are_not_returned()
    {
        var (dev, devRevision) = await DeployAsync(stage: "dev");
        var (prod, prodRevision) = await DeployAsync(stage: "prod");
        await Store.AppendLogsAsync([Log(dev.Id, devRevision.Id, "dev"), Log(prod.Id, prodRevision.Id, "prod")], CancellationToken.None);

        Assert.Equal(["prod"], await MessagesAsync(new LogQuery(prod.Id)));
    }

    [Fact]
    public async Task Invocations_read_back_newest_first_filtered_by_function_and_start()
    {
        var (app, revision) = await DeployAsync();
        var first = Invocation(app.Id, revision.Id, "r0", second: 0);
        var failed = Invocation(app.Id, revision.Id, "r1", second: 10, status: InvocationStatus.Timeout) with { MaxMemoryUsedMb = null };
        await Store.RecordInvocationsAsync(
            [first, failed, Invocation(app.Id, revision.Id, "r2", second: 20, function: "list"), Invocation(app.Id, revision.Id, "r3", second: 30)],
            CancellationToken.None);

        var all = await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 100, CancellationToken.None);
        var create = await Store.QueryInvocationsAsync(app.Id, "create", DateTimeOffset.MinValue, 100, CancellationToken.None);
        var recent = await Store.QueryInvocationsAsync(app.Id, null, T0.AddSeconds(10), 100, CancellationToken.None);
        var newest = await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 1, CancellationToken.None);
        var atLeastOne = await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 0, CancellationToken.None);

        Assert.Equal(["r3", "r2", "r1", "r0"], all.Select(i => i.RequestId));
        Assert.Equal(["r3", "r1", "r0"], create.Select(i => i.RequestId));
        Assert.Equal(["r3", "r2", "r1"], recent.Select(i => i.RequestId));
        Assert.Equal(["r3"], newest.Select(i => i.RequestId));
        Assert.Single(atLeastOne);
        Assert.Equal(first, all[3]);
        Assert.Equal(failed, all[2]);
    }

    [Fact]
    public async Task Text_beyond_ascii_and_empty_values_read_back_unchanged()
    {
        var (app, revision) = await DeployAsync();
        string[] messages = ["grüße ✓ 日本語 🚀", "", "tab\there\nnewline", new string('x', 70_000)];

        var stored = await Store.AppendLogsAsync(messages.Select(m => Log(app.Id, revision.Id, m)).ToList(), CancellationToken.None);

        Assert.Equal(messages, stored.Select(l => l.Message));
        Assert.Equal(messages, await MessagesAsync(new LogQuery(app.Id)));
    }

    [Fact]
    public async Task A_nul_character_in_a_function_s_text_is_kept_as_the_replacement_character_and_the_batch_is_stored()
    {
        // PostgreSQL's text cannot hold U+0000: it used to fail the whole batch, other functions' lines included.
        var (app, revision) = await DeployAsync();
        var batch = new[] { Log(app.Id, revision.Id, "before"), Log(app.Id, revision.Id, "binary\0output\0"), Log(app.Id, revision.Id, "after") };

        var stored = await Store.AppendLogsAsync(batch, CancellationToken.None);
        await Store.RecordInvocationsAsync([Invocation(app.Id, revision.Id, "r0", second: 0) with { Error = "bad\0payload" }], CancellationToken.None);

        string[] expected = ["before", "binary\uFFFDoutput\uFFFD", "after"];
        Assert.Equal(expected, stored.Select(l => l.Message));
        Assert.Equal(expected, await MessagesAsync(new LogQuery(app.Id)));
        var invocation = Assert.Single(await Store.QueryInvocationsAsync(app.Id, null, DateTimeOffset.MinValue, 100, CancellationToken.None));
        Assert.Equal("bad\uFFFDpayload", invocation.Error);
    }

    [Fact]
    public async Task Lines_stored_together_read_back_as_lines_each_with_an_id_of_its_own()
    {
        var (app, revision) = await DeployAsync();
        var platform = NewLogEntry.Lines(app.Id, revision.Id, "create", "req-2", "inst-1", T0.AddSeconds(1), LogStream.Platform,
            ["START RequestId: req-2 Version: 1", "END RequestId: req-2", "REPORT RequestId: req-2\tDuration: 1.00 ms"]);
        var stored = await Store.AppendLogsAsync(
            [Log(app.Id, revision.Id, "before"), platform, Log(app.Id, revision.Id, "after", second: 2)], CancellationToken.None);

        // Five lines under five consecutive ids, in the order written.
        Assert.Equal(
            ["before", "START RequestId: req-2 Version: 1", "END RequestId: req-2", "REPORT RequestId: req-2\tDuration: 1.00 ms", "after"],
            stored.Select(l => l.Message));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => stored[0].Id + i), stored.Select(l => l.Id));
        Assert.All(stored.Skip(1).Take(3), l => Assert.Equal((LogStream.Platform, "req-2"), (l.Stream, l.RequestId)));
        Assert.Equal(stored, await Store.QueryLogsAsync(new LogQuery(app.Id), CancellationToken.None));

        // A cursor inside the row gives the rest of it; a limit may end inside it.
        Assert.Equal(["END RequestId: req-2", "REPORT RequestId: req-2\tDuration: 1.00 ms", "after"],
            await MessagesAsync(new LogQuery(app.Id, AfterId: stored[1].Id)));
        Assert.Equal(["before", "START RequestId: req-2 Version: 1"], await MessagesAsync(new LogQuery(app.Id, Limit: 2)));
        Assert.Equal(["END RequestId: req-2"], await MessagesAsync(new LogQuery(app.Id, AfterId: stored[1].Id, Limit: 1)));

        // A search finds the matching line, not its neighbours in the row.
        Assert.Equal(["REPORT RequestId: req-2\tDuration: 1.00 ms"], await MessagesAsync(new LogQuery(app.Id, Contains: "duration")));

        // The next batch's ids start above the row's last line.
        var next = await Store.AppendLogsAsync([Log(app.Id, revision.Id, "later", second: 3)], CancellationToken.None);
        Assert.Equal(stored[^1].Id + 1, Assert.Single(next).Id);
    }

    [Fact]
    public async Task A_line_break_inside_one_of_the_lines_stored_together_becomes_a_space()
    {
        var (app, revision) = await DeployAsync();
        var entry = NewLogEntry.Lines(app.Id, revision.Id, "create", "req-3", "inst-1", T0, LogStream.Platform,
            ["req-3 Task timed out\nafter 3.00 seconds", "END RequestId: req-3"]);

        await Store.AppendLogsAsync([entry], CancellationToken.None);

        Assert.Equal(["req-3 Task timed out after 3.00 seconds", "END RequestId: req-3"], await MessagesAsync(new LogQuery(app.Id)));
    }

    private async Task<List<string>> MessagesAsync(LogQuery query) =>
        (await Store.QueryLogsAsync(query, CancellationToken.None)).Select(l => l.Message).ToList();
}

public sealed class SqliteLogAndInvocationTests : LogAndInvocationTests<SqliteBackend>;

public sealed class PostgresLogAndInvocationTests : LogAndInvocationTests<PostgresBackend>;
