using System.Text;
using System.Threading.Channels;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class OutputLineReaderTests
{
    [Fact]
    public async Task Splits_on_newlines_and_strips_carriage_returns()
    {
        var lines = await ReadAsync(Encoding.UTF8.GetBytes("one\r\ntwo\n\nlast without newline"));

        Assert.Equal(["one", "two", "", "last without newline"], lines);
    }

    [Fact]
    public async Task Long_lines_are_split_without_breaking_a_utf8_character()
    {
        // 'é' is two bytes; the odd prefix puts a character across the 256 KiB boundary.
        var text = "x" + new string('é', OutputLineReader.MaxLineBytes / 2);
        var lines = await ReadAsync(Encoding.UTF8.GetBytes(text + "\n"));

        Assert.Equal(2, lines.Count);
        Assert.True(Encoding.UTF8.GetByteCount(lines[0]) <= OutputLineReader.MaxLineBytes);
        Assert.Equal(text, lines[0] + lines[1]);
        Assert.DoesNotContain('\uFFFD', lines[0] + lines[1]);
    }

    [Fact]
    public async Task Invalid_utf8_is_replaced()
    {
        var lines = await ReadAsync([(byte)'a', 0xff, (byte)'b', (byte)'\n']);

        Assert.Equal(["a\uFFFDb"], lines);
    }

    [Fact]
    public async Task Lines_carry_the_stream_they_came_from()
    {
        var channel = Channel.CreateUnbounded<OutputLine>();
        await OutputLineReader.PumpAsync(new MemoryStream("e\n"u8.ToArray()), isStderr: true, channel.Writer, TimeProvider.System, CancellationToken.None);
        channel.Writer.Complete();

        var line = Assert.Single(channel.Reader.ReadAllAsync().ToBlockingEnumerable());
        Assert.True(line.IsStderr);
        Assert.Equal("e", line.Text);
    }

    private static async Task<List<string>> ReadAsync(byte[] bytes)
    {
        var channel = Channel.CreateUnbounded<OutputLine>();
        await OutputLineReader.PumpAsync(new MemoryStream(bytes), isStderr: false, channel.Writer, TimeProvider.System, CancellationToken.None);
        channel.Writer.Complete();
        var lines = new List<string>();
        await foreach (var line in channel.Reader.ReadAllAsync())
        {
            Assert.False(line.IsStderr);
            lines.Add(line.Text);
        }

        return lines;
    }
}
