using Ferry.Cli.Options;

namespace Ferry.Cli.Tests;

public sealed class DurationParserTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30s", 0, 0, 30)]
    [InlineData("10m", 0, 10, 0)]
    [InlineData("1h", 1, 0, 0)]
    [InlineData("1h30m", 1, 30, 0)]
    [InlineData("2d", 48, 0, 0)]
    [InlineData("1w", 168, 0, 0)]
    [InlineData(" 5m ", 0, 5, 0)]
    public void Durations_count_back_from_now(string text, int hours, int minutes, int seconds)
    {
        Assert.True(DurationParser.TryParseSince(text, Now, out var since));
        Assert.Equal(Now - new TimeSpan(hours, minutes, seconds), since);
    }

    [Fact]
    public void An_iso_time_with_an_offset_is_taken_as_written()
    {
        Assert.True(DurationParser.TryParseSince("2024-04-30T08:15:00Z", Now, out var since));
        Assert.Equal(new DateTimeOffset(2024, 4, 30, 8, 15, 0, TimeSpan.Zero), since);

        Assert.True(DurationParser.TryParseSince("2024-04-30T08:15:00+02:00", Now, out since));
        Assert.Equal(new DateTimeOffset(2024, 4, 30, 6, 15, 0, TimeSpan.Zero), since.ToUniversalTime());
    }

    [Fact]
    public void An_iso_time_without_an_offset_is_local_time()
    {
        Assert.True(DurationParser.TryParseSince("2024-04-30T08:15:00", Now, out var since));
        Assert.Equal(new DateTime(2024, 4, 30, 8, 15, 0), since.LocalDateTime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("m10")]
    [InlineData("10x")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("yesterday")]
    [InlineData("99999999999999999999d")]
    public void Malformed_values_are_rejected(string text)
    {
        Assert.False(DurationParser.TryParseSince(text, Now, out _));
    }

    [Fact]
    public void ParseSince_names_the_value_and_the_accepted_syntax()
    {
        var error = Assert.Throws<FormatException>(() => DurationParser.ParseSince("soon", Now));
        Assert.Contains("'soon'", error.Message);
        Assert.Contains("10m", error.Message);
        Assert.Contains("ISO 8601", error.Message);
    }
}
