using System.Text;
using Ferry.Triggers.Lambda;

namespace Ferry.Triggers.Tests.Lambda;

public sealed class LogTailTests
{
    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    [Fact]
    public void Short_logs_are_sent_whole_one_line_each()
    {
        Assert.Equal("START RequestId: r\nhello\nEND RequestId: r\n", Decode(LogTail.Encode(["START RequestId: r", "hello", "END RequestId: r"])));
    }

    [Fact]
    public void Long_logs_keep_their_last_4_kb()
    {
        var lines = Enumerable.Range(0, 1000).Select(i => $"line {i:0000}").ToList();

        var tail = Convert.FromBase64String(LogTail.Encode(lines));

        Assert.Equal(LogTail.MaxBytes, tail.Length);
        Assert.EndsWith("line 0998\nline 0999\n", Encoding.UTF8.GetString(tail), StringComparison.Ordinal);
    }

    [Fact]
    public void The_cut_never_splits_a_character()
    {
        // "é" is two bytes: the last 6 bytes of "éééé\n" start inside the second "é".
        var tail = LogTail.Encode(["éééé"], maxBytes: 6);

        Assert.Equal("éé\n", Decode(tail));
    }

    [Fact]
    public void No_lines_give_an_empty_tail()
    {
        Assert.Equal("", LogTail.Encode([]));
    }
}
