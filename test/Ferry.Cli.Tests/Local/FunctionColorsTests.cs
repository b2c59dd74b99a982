using Ferry.Cli.Local;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests.Local;

public sealed class FunctionColorsTests
{
    [Fact]
    public void Functions_get_palette_colours_in_the_order_they_are_registered()
    {
        var colors = new FunctionColors();

        colors.Register(["api", "worker", "cron"]);

        Assert.Equal(FunctionColors.Palette[0], colors.ColorOf("api"));
        Assert.Equal(FunctionColors.Palette[1], colors.ColorOf("worker"));
        Assert.Equal(FunctionColors.Palette[2], colors.ColorOf("cron"));
    }

    [Fact]
    public void A_function_keeps_its_colour_when_functions_are_registered_again_in_another_order()
    {
        var colors = new FunctionColors();
        colors.Register(["api", "worker"]);

        colors.Register(["added", "worker", "api"]);

        Assert.Equal(FunctionColors.Palette[0], colors.ColorOf("api"));
        Assert.Equal(FunctionColors.Palette[1], colors.ColorOf("worker"));
        Assert.Equal(FunctionColors.Palette[2], colors.ColorOf("added"));
    }

    [Fact]
    public void The_same_manifest_gives_the_same_colours_in_every_session()
    {
        string[] functions = ["a", "b", "c", "d"];
        var first = new FunctionColors();
        var second = new FunctionColors();

        first.Register(functions);
        second.Register(functions);

        Assert.Equal(functions.Select(first.ColorOf), functions.Select(second.ColorOf));
    }

    [Fact]
    public void Colours_repeat_only_after_the_palette_is_used_up_and_red_is_never_used()
    {
        var colors = new FunctionColors();
        var names = Enumerable.Range(0, FunctionColors.Palette.Count + 1).Select(i => $"fn{i}").ToList();

        colors.Register(names);

        Assert.Equal(FunctionColors.Palette.Count, names.Take(FunctionColors.Palette.Count).Select(colors.ColorOf).Distinct().Count());
        Assert.Equal(colors.ColorOf("fn0"), colors.ColorOf(names[^1]));
        Assert.DoesNotContain("31", FunctionColors.Palette);
        Assert.DoesNotContain("91", FunctionColors.Palette);
    }

    [Fact]
    public void Painting_wraps_the_text_in_the_functions_colour_only_when_enabled()
    {
        var colors = new FunctionColors();
        colors.Register(["api"]);

        Assert.Equal($"\u001b[{FunctionColors.Palette[0]}mapi\u001b[0m", colors.Paint("api", "api", enabled: true));
        Assert.Equal("api", colors.Paint("api", "api", enabled: false));
    }

    [Fact]
    public void Log_lines_are_prefixed_with_the_padded_function_name()
    {
        var formatter = new DevLogFormatter(new FunctionColors(), colored: false);
        formatter.UseFunctions(["api", "worker"]);

        var line = formatter.Format(new LogLine(1, DateTimeOffset.UnixEpoch, "api", "r1", "i-1", "stdout", "hello"));

        Assert.Equal("api    | hello", line);
    }

    [Fact]
    public void Coloured_log_lines_paint_the_prefix_in_the_function_colour_and_stderr_in_red()
    {
        var colors = new FunctionColors();
        var formatter = new DevLogFormatter(colors, colored: true);
        formatter.UseFunctions(["api", "worker"]);

        var line = formatter.Format(new LogLine(1, DateTimeOffset.UnixEpoch, "worker", "r1", "i-1", "stderr", "oops"));

        Assert.Equal($"\u001b[{FunctionColors.Palette[1]}mworker\u001b[0m | \u001b[31moops\u001b[0m", line);
    }
}
