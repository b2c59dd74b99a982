using System.Text;
using Ferry.Cli.Api;

namespace Ferry.Cli.Tests;

public sealed class NdjsonLogReaderTests
{
    private static async Task<List<long>> ReadIdsAsync(string ndjson)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ndjson));
        var ids = new List<long>();
        await foreach (var line in NdjsonLogReader.ReadAsync(stream, CancellationToken.None))
        {
            ids.Add(line.Id);
        }

        return ids;
    }

    internal static string Line(long id, string message = "hi", string stream = "stdout")
        => $$"""{"id":{{id}},"time":"2024-05-01T12:00:00Z","function":"hello","requestId":"req-{{id}}","instance":"i1","stream":"{{stream}}","message":"{{message}}"}""";

    [Fact]
    public async Task Each_line_is_one_log_line()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Line(7, "started", "stderr") + "\n"));
        var lines = new List<Server.Api.LogLine>();
        await foreach (var line in NdjsonLogReader.ReadAsync(stream, CancellationToken.None))
        {
            lines.Add(line);
        }

        var only = Assert.Single(lines);
        Assert.Equal(7, only.Id);
        Assert.Equal("hello", only.Function);
        Assert.Equal("req-7", only.RequestId);
        Assert.Equal("stderr", only.Stream);
        Assert.Equal("started", only.Message);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), only.Time);
    }

    [Fact]
    public async Task Keepalive_blank_lines_are_skipped()
    {
        var ids = await ReadIdsAsync("\n" + Line(1) + "\n\n\r\n" + Line(2) + "\r\n\n");

        Assert.Equal([1, 2], ids);
    }

    [Fact]
    public async Task A_last_line_without_newline_is_read()
    {
        Assert.Equal([1, 2], await ReadIdsAsync(Line(1) + "\n" + Line(2)));
    }

    [Fact]
    public async Task A_stream_of_keepalives_only_yields_nothing()
    {
        Assert.Empty(await ReadIdsAsync("\n\n\n"));
    }

    [Fact]
    public async Task A_line_that_is_not_a_log_line_fails_with_the_text()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadIdsAsync(Line(1) + "\n<html>oops</html>\n"));

        Assert.Contains("<html>oops</html>", error.Message);
    }
}
